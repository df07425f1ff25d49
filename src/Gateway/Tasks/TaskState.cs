using AiPlatform.Gateway.Projects;
using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Gateway.Tasks;

/// <summary>One task as the saga knows it; a row of the <c>tasks</c> table.</summary>
public class TaskState : SagaStateMachineInstance, IProjectOwned
{
    public Guid CorrelationId { get; set; }

    /// <summary>The project the task belongs to; its script sees that project's lake only.</summary>
    public string Project { get; set; } = "";

    /// <summary>The saga's state name: Pending, Running, Completed, Failed or Cancelled.</summary>
    public string CurrentState { get; set; } = TaskStatuses.PendingState;

    public string Type { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Input { get; set; }
    public string? Output { get; set; }
    public string ParamsJson { get; set; } = "{}";
    public string ScriptPath { get; set; } = "";
    public string ScriptSha256 { get; set; } = "";
    public string ScriptSource { get; set; } = "";
    public string? Model { get; set; }

    /// <summary>The exact version (<c>name@N</c>) the input reference resolved to at submit, when it named a dataset or model.</summary>
    public string? ResolvedInput { get; set; }

    /// <summary>The exact version (<c>name@N</c>) the model reference resolved to at submit.</summary>
    public string? ResolvedModel { get; set; }
    public string? Device { get; set; }

    /// <summary>The exact version a replica of this inference service last reported serving (it follows an alias's moves).</summary>
    public string? ServedModel { get; set; }

    /// <summary>When a replica reported <see cref="ServedModel"/>: an older report arriving late does not overwrite it.</summary>
    public DateTimeOffset? ServedModelAt { get; set; }

    /// <summary>0 (the default) to 9: its command's message priority, so it overtakes lower ones waiting in its queue.</summary>
    public int Priority { get; set; }

    /// <summary>Cores the task declared it needs; null for none.</summary>
    public double? ResourceCpu { get; set; }

    /// <summary>Memory (MiB) the task declared; its script runs held to it. Null for none.</summary>
    public int? ResourceMemoryMiB { get; set; }

    public TaskResources? DeclaredResources() => ResourceCpu is null && ResourceMemoryMiB is null ? null : new TaskResources(ResourceCpu, ResourceMemoryMiB);

    /// <summary>How long one attempt may run; null for no limit (inference services).</summary>
    public int? TimeoutSeconds { get; set; }

    /// <summary>Why a pending task is not being picked up (no worker consumes its queue), for the user; null otherwise.</summary>
    public string? WaitingReason { get; set; }

    /// <summary>The API key (its name) or identity-provider user that submitted the task.</summary>
    public string? SubmittedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? CancelRequestedAt { get; set; }

    /// <summary>How many times the task has been dispatched to a worker.</summary>
    public int Attempts { get; set; }

    /// <summary>When the current attempt's command was last sent to its queue (null for inference, whose command is published).</summary>
    public DateTimeOffset? DispatchedAt { get; set; }

    public string? WorkerId { get; set; }
    public DateTimeOffset? ClaimedAt { get; set; }
    public string? ResultJson { get; set; }
    public string? Error { get; set; }

    public double? ProgressFraction { get; set; }
    public string? ProgressMessage { get; set; }
    public string? ProgressMetricsJson { get; set; }
    public DateTimeOffset? ProgressAt { get; set; }

    /// <summary>The task this one re-runs (same script snapshot and spec), when it was made by <c>/rerun</c>.</summary>
    public Guid? RerunOf { get; set; }

    /// <summary>The pipeline run and step this task is an attempt of, when a pipeline started it.</summary>
    public Guid? PipelineRunId { get; set; }

    public string? PipelineStep { get; set; }

    /// <summary>Postgres' xmin: the optimistic concurrency token that keeps concurrent events from losing updates.</summary>
    public uint Version { get; set; }
}
