using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Gateway.Registry;
using AiPlatform.Gateway.Registry.Hooks;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// Carries out action steps (<see cref="StepActions"/>) and answers the run with the step's result, as a step task's
/// end would. A refusal the user can act on (a gate's veto, a version that cannot be promoted) fails the step with its
/// message; anything else (the database away) is retried by the endpoint. Each action is idempotent: a late answer
/// makes the monitor send the action again, and doing it twice changes nothing more.
/// </summary>
public sealed class PipelineActionConsumer(
    PlatformDbContext db, ProjectScope project, ReferenceResolver resolver, RegistryService registry, HookGate gate, TaskSubmission submission,
    ILogger<PipelineActionConsumer> logger)
    : IConsumer<RunPipelineAction>
{
    public async Task Consume(ConsumeContext<RunPipelineAction> context)
    {
        var action = context.Message;
        var ct = context.CancellationToken;
        project.Enter(action.Project);
        string outcome = StepStates.Completed, error = "";
        JsonNode? result = null;
        try
        {
            result = action.Type switch
            {
                StepActions.ModelVersion => await LookUpAsync(action.Model, ct),
                StepActions.Promote => await PromoteAsync(action, ct),
                StepActions.Deploy => await DeployAsync(action, context, ct),
                _ => throw new StepActionException($"'{action.Type}' is not an action this gateway knows"),
            };
        }
        catch (Exception e) when (e is RegistryException or StepActionException)
        {
            (outcome, error) = (StepStates.Failed, e.Message);
            logger.LogInformation("Action step {Step} ({Type}) of run {RunId} failed: {Error}", action.Step, action.Type, action.RunId, e.Message);
        }
        // A deploy that started its service answers later, once a replica serves (PipelineTaskEvents), or fails with it.
        if (outcome == StepStates.Completed && result is null) return;
        await context.Publish(new PipelineStepTaskFinished(action.RunId, action.Step, action.ActionId, outcome, result?.ToJsonString(),
            outcome == StepStates.Failed ? error : null));
    }

    /// <summary>Where a reference points now; <c>found: false</c> (not a failure) when the model, alias or version does not exist.</summary>
    private async Task<JsonNode> LookUpAsync(string reference, CancellationToken ct)
    {
        ResolvedReference resolved;
        try
        {
            resolved = await resolver.ResolveAsync(EntryKind.Model, reference, ct);
        }
        catch (RegistryException e) when (e.Status == 404)
        {
            return new JsonObject { ["found"] = false, ["reference"] = reference, ["reason"] = e.Message };
        }
        var version = resolved.Registered;
        return new JsonObject
        {
            ["found"] = true,
            ["reference"] = reference,
            ["model"] = resolved.Exact,
            ["version"] = version?.SemanticVersion,
            ["lance_version"] = resolved.LanceVersion,
            ["stage"] = version?.Stage,
            ["metrics"] = JsonNode.Parse(version?.MetricsJson ?? "{}"),
        };
    }

    /// <summary>Moves the alias through the same gate and registry call as <c>PUT .../aliases/{alias}</c>.</summary>
    private async Task<JsonNode> PromoteAsync(RunPipelineAction action, CancellationToken ct)
    {
        var alias = StepActions.AliasOf(action.Output);
        var resolved = await resolver.ResolveAsync(EntryKind.Model, action.Model, ct);
        var actor = action.Actor ?? "pipeline";
        // The version may be a moment old: register it from the lake if its task's report has not arrived yet.
        var version = await registry.EnsureRegisteredAsync(EntryKind.Model, resolved.Name, resolved.LanceVersion, actor, ct)
                      ?? throw RegistryException.VersionNotFound(EntryKind.Model, resolved.Name, resolved.LanceVersion.ToString());
        var reason = JsonNode.Parse(action.ParamsJson)?["reason"]?.GetValue<string>() ?? $"promoted by pipeline run {action.RunId}, step '{action.Step}'";
        await gate.CheckAsync(EntryKind.Model, resolved.Name, alias, version.SemanticVersion, actor, reason, ct);
        var move = await registry.MoveAliasAsync(EntryKind.Model, resolved.Name, alias, version.SemanticVersion, reason, actor, rollback: false, ct);
        return new JsonObject
        {
            ["model"] = resolved.Name,
            ["alias"] = alias,
            ["version"] = move.Target.SemanticVersion,
            ["lance_version"] = move.Target.LanceVersion,
            ["reference"] = resolved.Exact,
            ["previous_version"] = move.Previous?.Id == move.Target.Id ? null : move.Previous?.SemanticVersion,
        };
    }

    /// <summary>
    /// Starts the service when none of that name runs; a service that already runs the same model reference is kept
    /// (one following an alias swaps to where the alias points by itself). The service's task id is derived from the
    /// action's, so carrying the action out again finds the service it started. A service this deploy started belongs
    /// to the step until it serves: the step completes when its first replica serves and fails if the service does
    /// not start, so "deployed" means predictions are answered. Null until then.
    /// </summary>
    private async Task<JsonNode?> DeployAsync(RunPipelineAction action, ConsumeContext context, CancellationToken ct)
    {
        var name = action.Output!;
        if (await RunningServiceAsync(name, ct) is { } existing) return DeployedTo(existing, action);
        var script = action.Script ?? throw new StepActionException("a deploy step needs its serving script");
        var request = new SubmitTaskRequest(TaskTypes.Inference, name, script.Path, null, null, action.ParamsJson, action.Model, "cpu", null);
        var task = submission.Create(request, script, action.Actor, action.ActionId);
        if (await submission.AdmitAsync(request, task, ct) is { } refusal) throw new StepActionException(refusal.Message);
        task.PipelineRunId = action.RunId;
        task.PipelineStep = action.Step;
        db.Tasks.Add(task);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another deploy (or a user) started the service, or this action already did: deploy to what runs.
            db.Entry(task).State = EntityState.Detached;
            return await RunningServiceAsync(name, ct) is { } other
                ? DeployedTo(other, action)
                : throw new StepActionException($"service '{name}' could not be started: {e.InnerException.Message}");
        }
        await context.Publish(new TaskSubmitted(task.CorrelationId), ct);
        return null;
    }

    /// <summary>An active service of the deploy's name: the step's own waits until it serves; another is deployed to at once.</summary>
    private static JsonNode? DeployedTo(TaskState service, RunPipelineAction action)
    {
        var ownService = service.CorrelationId == action.ActionId;
        if (ownService && service.CurrentState != TaskStatuses.RunningState) return null;
        return Deployed(service, ownService, action.Model);
    }

    private Task<TaskState?> RunningServiceAsync(string name, CancellationToken ct) =>
        db.Tasks.AsNoTracking()
            .Where(t => t.Type == TaskTypes.Inference && t.Name == name && TaskStatuses.ActiveStates.Contains(t.CurrentState))
            .SingleOrDefaultAsync(ct);

    /// <summary>The deploy step's result: the service, its task, and how to call it.</summary>
    public static JsonNode Deployed(TaskState service, bool started, string model)
    {
        if (service.Model != model)
            throw new StepActionException($"service '{service.Name}' already runs model '{service.Model}' (task {service.CorrelationId}); " +
                                          $"cancel it, or deploy '{model}' under another name");
        return new JsonObject
        {
            ["service"] = service.Name,
            ["task_id"] = service.CorrelationId,
            ["model"] = model,
            ["resolved_model"] = service.ResolvedModel,
            ["served_model"] = service.ServedModel,
            ["started"] = started,
            ["endpoint"] = $"/api/v1/tasks/{service.CorrelationId}/predict",
        };
    }
}

/// <summary>An action step that cannot be carried out, for a reason its message gives.</summary>
public sealed class StepActionException(string message) : Exception(message);
