using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// A new run of a pipeline, whoever asked (execute or the scheduler): its params (defaults and overrides) checked and
/// every step's script snapshotted. The run is added to the caller's unit of work; saving it and publishing
/// <see cref="PipelineRunSubmitted"/> are the caller's, so a scheduler can store it with its claim in one transaction.
/// </summary>
public sealed class RunStarter(PlatformDbContext db, ScriptCatalog scripts)
{
    public (PipelineRunState? Run, string? Error) Add(PipelineRecord pipeline, JsonObject? overrides, string? submittedBy, DateTimeOffset now)
    {
        var definition = pipeline.Definition();
        var (parameters, paramError) = ParamSpec.Effective(definition, overrides);
        if (parameters is null) return (null, paramError);

        var snapshots = new Dictionary<string, TaskScript>();
        foreach (var step in definition.Steps.Where(s => s.Script is not null))
        {
            var (script, scriptError) = scripts.Resolve(step.Script!);
            if (script is null) return (null, $"steps.{step.Name}.script: {scriptError}");
            snapshots[step.Name] = script;
        }
        var run = new PipelineRunState
        {
            CorrelationId = NewId.NextGuid(),
            Project = pipeline.Project,
            CurrentState = PipelineRunStatuses.PendingState,
            PipelineId = pipeline.Id,
            DefinitionJson = pipeline.DefinitionJson,
            ParamsJson = parameters.ToJsonString(),
            ScriptsJson = JsonSerializer.Serialize(snapshots, PipelineDefinition.Json),
            SubmittedBy = submittedBy,
            CreatedAt = now,
        };
        run.SetSteps(RunProgress.Initial(definition));
        db.PipelineRuns.Add(run);
        return (run, null);
    }
}
