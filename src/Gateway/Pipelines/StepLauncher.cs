using System.Security.Cryptography;
using System.Text;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// Starts a run's ready steps as ordinary tasks, through the same submission and admission as <c>POST /tasks</c>. The
/// task rows are added to the saga's own unit of work, so they are stored in the same transaction as the run's new
/// state: a step is started exactly once, whatever is redelivered or restarted. Each task's id is derived from
/// run, step and attempt, which makes a repeated start the same task, never a second one.
/// </summary>
public sealed class StepLauncher(PlatformDbContext db, ProjectScope project, TaskSubmission submission, ILogger<StepLauncher> logger)
{
    public static Guid TaskIdFor(Guid runId, string step, int attempt)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{runId:N}/{step}/{attempt}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    /// <summary>A task name unique to the run: the one-active-task-per-name rule never blocks two runs of one pipeline.</summary>
    public static string TaskNameFor(PipelineRunState run, string step) =>
        $"{run.Definition().Name}.{step}.{Convert.ToHexStringLower(SHA256.HashData(run.CorrelationId.ToByteArray()))[..10]}";

    /// <summary>Starts everything ready, over and over until nothing more is (a refused start can make others ready or skip them).</summary>
    public async Task AdvanceAsync(BehaviorContext<PipelineRunState> context, RunProgress progress)
    {
        var run = context.Saga;
        if (db.Entry(run).State == EntityState.Detached)
            throw new InvalidOperationException("the step launcher must share the saga's unit of work, or steps could start without the run recording it");
        // Its steps' tasks belong to the run's project, and their references resolve in it.
        project.Enter(run.Project);
        var scripts = run.Scripts();
        var started = new List<object>();
        while (true)
        {
            var now = DateTimeOffset.UtcNow;
            if (progress.MustStop)
            {
                await CancelAsync(context, progress.Stop($"the run failed fast: {FirstFailure(progress)}", now), "its pipeline run failed");
                break;
            }
            var ready = progress.Ready(now);
            if (ready.Count == 0) break;
            foreach (var step in ready)
            {
                if (await StartAsync(run, progress, step, scripts.GetValueOrDefault(step.Name), now, context.CancellationToken) is { } message)
                    started.Add(message);
                if (progress.MustStop) break;
            }
        }
        run.SetSteps(progress.Steps);
        // The outbox sends these once the run's row and the task rows are saved; a lost one is re-sent by the task monitor
        // (a task) or the pipeline monitor (an action).
        foreach (var message in started)
        {
            if (message is TaskState queued) await TaskCommands.SendAsync(context, queued);
            else await context.Publish(message, message.GetType());
        }
    }

    public static async Task CancelAsync(BehaviorContext<PipelineRunState> context, IEnumerable<Guid> taskIds, string reason)
    {
        foreach (var taskId in taskIds) await context.Publish(new CancelTask(taskId, reason));
    }

    /// <returns>
    /// What to send once the run's new state is stored, or null when the step could not start: the task itself when its
    /// command goes straight to its kind's queue (as a submit sends it, with no hop through the task saga), otherwise
    /// the task's <see cref="TaskSubmitted"/>, or the action.
    /// </returns>
    private async Task<object?> StartAsync(PipelineRunState run, RunProgress progress, StepRun step, TaskScript? script, DateTimeOffset now, CancellationToken ct)
    {
        var definition = progress.Graph.Step(step.Name);
        if (StepActions.IsAction(definition.Type)) return StartAction(run, progress, step, definition, script, now);
        SubmitTaskRequest request;
        try
        {
            if (script is null) throw new StepReferenceException($"step '{step.Name}' has no script snapshot");
            var parameters = StepReferences.SubstituteAll(definition.Params ?? [], progress.Lookup)!.ToJsonString();
            if (Encoding.UTF8.GetByteCount(parameters) > SubmitTaskRequest.MaxParamsBytes)
                throw new StepReferenceException($"params are larger than {SubmitTaskRequest.MaxParamsBytes} bytes of JSON once references are filled in");
            request = new SubmitTaskRequest(definition.Type, TaskNameFor(run, step.Name), script.Path,
                progress.Pin(step.Name, StepReferences.SubstituteText(definition.Input, progress.Lookup)),
                StepReferences.SubstituteText(definition.Output, progress.Lookup), parameters,
                progress.Pin(step.Name, StepReferences.SubstituteText(definition.Model, progress.Lookup)),
                definition.Device ?? "cpu", definition.TimeoutSeconds)
            {
                Priority = definition.Priority ?? run.Definition().Priority ?? TaskPriorities.Default,
                Resources = definition.Resources is { } resources ? ResourceSpec.Parse(resources, "resources").Resources : null,
            };
        }
        catch (StepReferenceException e)
        {
            progress.FailedToStart(step, e.Message, now);
            return null;
        }

        var attempt = step.Attempts + 1;
        var task = submission.Create(request, script, run.SubmittedBy, TaskIdFor(run.CorrelationId, step.Name, attempt));
        task.PipelineRunId = run.CorrelationId;
        task.PipelineStep = step.Name;
        if (await submission.AdmitAsync(request, task, ct) is { } refusal)
        {
            progress.FailedToStart(step, refusal.Message, now);
            return null;
        }
        var sendsItself = SubmitDispatch.Prepare(task);
        if (!await db.Tasks.AnyAsync(t => t.CorrelationId == task.CorrelationId, ct)) db.Tasks.Add(task);
        else logger.LogWarning("Step {Step} attempt {Attempt} of run {RunId} already has its task {TaskId}; not adding it again",
            step.Name, attempt, run.CorrelationId, task.CorrelationId);
        progress.Started(step, task.CorrelationId, attempt, now);
        // A repeated start sends the first attempt's command again, which the claim makes harmless.
        return sendsItself ? task : new TaskSubmitted(task.CorrelationId);
    }

    /// <summary>An action step starts as its message, kept on the step so the monitor can send it again when its answer is late.</summary>
    private static RunPipelineAction? StartAction(PipelineRunState run, RunProgress progress, StepRun step, StepDefinition definition, TaskScript? script,
        DateTimeOffset now)
    {
        RunPipelineAction action;
        var attempt = step.Attempts + 1;
        try
        {
            var model = progress.Pin(step.Name, StepReferences.SubstituteText(definition.Model, progress.Lookup))!;
            var output = StepReferences.SubstituteText(definition.Output, progress.Lookup);
            var parameters = StepReferences.SubstituteAll(definition.Params ?? [], progress.Lookup)!.ToJsonString();
            action = StepActions.Message(run, definition, TaskIdFor(run.CorrelationId, step.Name, attempt), model, output, parameters, script);
        }
        catch (StepReferenceException e)
        {
            progress.FailedToStart(step, e.Message, now);
            return null;
        }
        progress.Started(step, action.ActionId, attempt, now);
        step.Action = StepActions.Serialize(action);
        return action;
    }

    private static string FirstFailure(RunProgress progress) =>
        progress.Steps.Where(s => StepStates.IsFailure(s.State)).Select(s => $"step '{s.Name}' {s.State.Replace('_', ' ')}").First();
}
