using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiPlatform.Gateway.Tasks;

public sealed record TaskCreatedView(
    Guid Id, string Type, string Name, string Status, [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("rerun_of")] Guid? RerunOf = null);

public sealed record TaskProgressView(double? Fraction, string? Message, JsonElement? Metrics, [property: JsonPropertyName("updated_at")] DateTimeOffset? UpdatedAt);

/// <summary>A task as the API shows it.</summary>
public sealed record TaskView(
    Guid Id,
    string Project,
    string Type,
    string Name,
    string Status,
    string Script,
    [property: JsonPropertyName("script_sha256")] string ScriptSha256,
    string? Input,
    string? Output,
    JsonElement Params,
    string? Model,
    [property: JsonPropertyName("resolved_input")] string? ResolvedInput,
    [property: JsonPropertyName("resolved_model")] string? ResolvedModel,
    [property: JsonPropertyName("served_model")] string? ServedModel,
    string? Device,
    [property: JsonPropertyName("submitted_by")] string? SubmittedBy,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("started_at")] DateTimeOffset? StartedAt,
    [property: JsonPropertyName("finished_at")] DateTimeOffset? FinishedAt,
    [property: JsonPropertyName("duration_seconds")] double? DurationSeconds,
    [property: JsonPropertyName("cancel_requested_at")] DateTimeOffset? CancelRequestedAt,
    [property: JsonPropertyName("timeout_seconds")] int? TimeoutSeconds,
    [property: JsonPropertyName("waiting_reason")] string? WaitingReason,
    JsonElement? Result,
    string? Error,
    [property: JsonPropertyName("worker_id")] string? WorkerId,
    int Attempts,
    TaskProgressView? Progress,
    string? Endpoint,
    [property: JsonPropertyName("rerun_of")] Guid? RerunOf,
    [property: JsonPropertyName("pipeline_run_id")] Guid? PipelineRunId,
    [property: JsonPropertyName("pipeline_step")] string? PipelineStep,
    int Priority,
    TaskResourcesView? Resources)
{
    public static TaskView From(TaskState t) => new(
        t.CorrelationId, t.Project, t.Type, t.Name, TaskStatuses.ToStatus(t.CurrentState), t.ScriptPath, t.ScriptSha256, t.Input, t.Output,
        Parse(t.ParamsJson)!.Value, t.Model, t.ResolvedInput, t.ResolvedModel, t.ServedModel, t.Device, t.SubmittedBy, t.CreatedAt, t.StartedAt, t.FinishedAt,
        t.StartedAt is { } s ? ((t.FinishedAt ?? DateTimeOffset.UtcNow) - s).TotalSeconds : null,
        t.CancelRequestedAt, t.TimeoutSeconds, t.CurrentState == TaskStatuses.PendingState ? t.WaitingReason : null, Parse(t.ResultJson), t.Error, t.WorkerId, t.Attempts,
        t.ProgressAt is null && t.ProgressFraction is null ? null
            : new TaskProgressView(t.ProgressFraction, t.ProgressMessage, Parse(t.ProgressMetricsJson), t.ProgressAt),
        t.Type == AiPlatform.Messages.TaskTypes.Inference ? $"/api/v1/tasks/{t.CorrelationId}/predict" : null,
        t.RerunOf, t.PipelineRunId, t.PipelineStep, t.Priority,
        t.DeclaredResources() is { } r ? new TaskResourcesView(r.Cpu, r.MemoryMiB) : null);

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}

public sealed record TaskResourcesView(double? Cpu, [property: JsonPropertyName("memory_mib")] int? MemoryMiB);

public sealed record TaskPage(IReadOnlyList<TaskView> Items, int Total, int Limit, int Offset);

public sealed record TaskEventView(long Id, string Kind, int Attempt, [property: JsonPropertyName("worker_id")] string? WorkerId,
    DateTimeOffset Timestamp, JsonElement Data)
{
    public static TaskEventView From(TaskEventRecord e) =>
        new(e.Id, e.Kind, e.Attempt, e.WorkerId, e.Timestamp, JsonDocument.Parse(e.DataJson).RootElement.Clone());
}
