namespace AiPlatform.Messages;

/// <summary>What every task command carries; one command type per worker kind so each kind has its own queue.</summary>
public interface ITaskCommand
{
    Guid TaskId { get; }
    string Name { get; }
    int Attempt { get; }
    TaskScript Script { get; }
    string? Input { get; }
    string? Output { get; }
    string ParamsJson { get; }

    /// <summary>How long one attempt may run before the worker stops it and fails the task; null for no limit.</summary>
    int? TimeoutSeconds { get; }

    /// <summary>The cpu and memory the task declared; null for none (it runs in a shared runner, unlimited).</summary>
    TaskResources? Resources { get; }

    /// <summary>
    /// Who submitted the task (the key's name). A warm script runner is reused only for tasks of the same submitter, so
    /// what one user's script leaves in its process (static state, files in its /tmp) never reaches another user's.
    /// </summary>
    string? SubmittedBy { get; }

    /// <summary>The project the task belongs to: its script sees that project's lake, and only that.</summary>
    string Project { get; }
}

/// <summary>The script is snapshotted at submit time, so every attempt runs the exact code the user submitted.</summary>
public record TaskScript(string Path, string Sha256, string Source);

public record RunIngestion(Guid TaskId, string Name, int Attempt, TaskScript Script, string? Input, string? Output, string ParamsJson,
    int? TimeoutSeconds, TaskResources? Resources = null, string? SubmittedBy = null, string Project = ProjectNames.Default) : ITaskCommand;

/// <param name="Model">The exact model version the task names (<c>fashion-cnn@4</c>: one to evaluate or start from), resolved at submit.</param>
public record RunTraining(Guid TaskId, string Name, int Attempt, TaskScript Script, string? Input, string? Output, string ParamsJson,
    int? TimeoutSeconds, TaskResources? Resources = null, string? Model = null, string? SubmittedBy = null, string Project = ProjectNames.Default)
    : ITaskCommand;

/// <summary>Fanned out to every serve worker: each one becomes a replica of the service.</summary>
/// <param name="Model">The exact version to serve (<c>fashion-cnn@4</c>), as resolved when the task was submitted.</param>
/// <param name="Follows">The alias reference the service follows (<c>fashion-cnn@production</c>): replicas serve the version
/// it points at now and swap when it moves. Null for a service pinned to its version.</param>
public record StartInferenceService(Guid TaskId, string Name, int Attempt, TaskScript Script, string? Input, string? Output, string ParamsJson,
    string Model, string Device, string? Follows = null, string Project = ProjectNames.Default) : ITaskCommand
{
    /// <summary>A service runs until it is cancelled.</summary>
    public int? TimeoutSeconds => null;

    /// <summary>Every serve worker hosts every service; resources are declared for queued tasks only.</summary>
    public TaskResources? Resources => null;

    /// <summary>A replica's script runner serves that one service for its whole life and is never pooled.</summary>
    public string? SubmittedBy => null;
}

/// <summary>Fanned out to every worker; the one running the task stops it.</summary>
public record CancelTask(Guid TaskId, string Reason);

/// <summary>Sent by a worker before it runs a command: the saga decides whether this attempt may start.</summary>
public record ClaimTask(Guid TaskId, int Attempt, string WorkerId);

public record TaskClaimed(Guid TaskId, int Attempt);

public record TaskClaimRejected(Guid TaskId, int Attempt, string Reason);

/// <summary>Gateway -> saga: a new task row exists and must be dispatched.</summary>
public record TaskSubmitted(Guid TaskId);

/// <summary>Gateway monitor -> saga: no worker has consumed the task's queue for so long that, by policy, the task fails.</summary>
public record TaskUndispatchable(Guid TaskId, string Reason);

/// <summary>Gateway monitor -> saga: no heartbeat from the task's worker within the timeout.</summary>
public record TaskHeartbeatLost(Guid TaskId, int Attempt, string WorkerId, TimeSpan Silence);

/// <summary>A serve worker asks which inference services it should host when it (re)starts.</summary>
public record GetRunningServices(string WorkerId);

public record RunningServices(IReadOnlyList<StartInferenceService> Services);

/// <summary>A worker gives a task back without finishing it (it is shutting down); the saga dispatches it again at once.</summary>
public record TaskReleased(Guid TaskId, int Attempt, string WorkerId, DateTimeOffset Timestamp, string Reason) : ITaskEvent;
