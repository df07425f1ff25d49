using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Tasks;

namespace AiPlatform.Gateway.Pipelines;

public sealed record PipelineView(Guid Id, string Name, string? Description, DateTimeOffset CreatedAt, string? CreatedBy, JsonElement Definition)
{
    public static PipelineView From(PipelineRecord p) =>
        new(p.Id, p.Name, p.Description, p.CreatedAt, p.CreatedBy, JsonDocument.Parse(p.DefinitionJson).RootElement.Clone());
}

public sealed record PipelinePage(IReadOnlyList<PipelineView> Items, int Total);

public sealed record RunCreatedView(Guid Id, Guid PipelineId, string Status, DateTimeOffset CreatedAt);

/// <summary>One step of a run: its state, attempts, timings, tasks and result (<c>task_status</c> is its current task's).</summary>
public sealed record StepView(
    string Name, string State, int Attempts, Guid? TaskId, IReadOnlyList<Guid> TaskIds, string? TaskStatus, IReadOnlyList<string> DependsOn,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, DateTimeOffset? RetryAt, JsonNode? Result, string? Error,
    IReadOnlyDictionary<string, string> Produced);

public sealed record RunView(
    Guid Id, Guid PipelineId, string Pipeline, string Status, JsonNode Params, string? SubmittedBy, DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt, DateTimeOffset? CancelRequestedAt, string? Error, int Resumes, string OnFailure, IReadOnlyList<StepView> Steps)
{
    public static RunView From(PipelineRunState run, IReadOnlyDictionary<Guid, TaskState> tasks)
    {
        var definition = run.Definition();
        var dependencies = definition.Steps.ToDictionary(s => s.Name, s => s.DependsOn);
        var steps = run.Steps().Select(s =>
        {
            var task = s.TaskId is { } id ? tasks.GetValueOrDefault(id) : null;
            var started = task?.StartedAt ?? s.StartedAt;
            return new StepView(s.Name, s.State, s.Attempts, s.TaskId, s.TaskIds, task is null ? null : TaskStatuses.ToStatus(task.CurrentState),
                dependencies[s.Name], started, s.FinishedAt, started is { } from ? ((s.FinishedAt ?? DateTimeOffset.UtcNow) - from).TotalSeconds : null,
                s.RetryAt, s.Result, s.Error, s.Produced);
        }).ToList();
        return new RunView(run.CorrelationId, run.PipelineId, definition.Name, PipelineRunStatuses.ToStatus(run.CurrentState), run.Params(),
            run.SubmittedBy, run.CreatedAt, run.FinishedAt, run.CancelRequestedAt, run.Error, run.Resumes, definition.OnFailure, steps);
    }
}

public sealed record RunSummaryView(Guid Id, string Status, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Error, int Resumes)
{
    public static RunSummaryView From(PipelineRunState run) =>
        new(run.CorrelationId, PipelineRunStatuses.ToStatus(run.CurrentState), run.CreatedAt, run.FinishedAt, run.Error, run.Resumes);
}

public sealed record RunPage(IReadOnlyList<RunSummaryView> Items, int Total, int Limit, int Offset);
