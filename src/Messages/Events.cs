namespace AiPlatform.Messages;

/// <summary>Every status event names the task and the attempt it belongs to, so stale attempts can be told apart.</summary>
public interface ITaskEvent
{
    Guid TaskId { get; }
    int Attempt { get; }
    string WorkerId { get; }
    DateTimeOffset Timestamp { get; }
}

/// <param name="Dispatch">Where the wait before the start went; null from senders that do not know (serving replicas).</param>
public record TaskStarted(Guid TaskId, int Attempt, string WorkerId, DateTimeOffset Timestamp, DispatchTimings? Dispatch = null) : ITaskEvent;

/// <summary>
/// A serve worker began hosting an inference service. Replicas start without a claim, so this, not
/// <see cref="TaskStarted"/>, is what moves a service to running: a claimed task's start needs nothing of the saga.
/// </summary>
public record TaskReplicaStarted(Guid TaskId, int Attempt, string WorkerId, DateTimeOffset Timestamp) : ITaskEvent;

/// <summary>
/// The moments a task's command passed on its way to the worker, so a task's timeline (and the dispatch benchmark)
/// shows whether a wait was the saga, the queue or the claim.
/// </summary>
/// <param name="CommandSentAt">When the saga sent the command (the transport's sent time), if the transport knows.</param>
/// <param name="ReceivedAt">When the worker began consuming the command.</param>
/// <param name="ClaimedAt">When the saga's answer to the worker's claim arrived.</param>
public record DispatchTimings(DateTimeOffset? CommandSentAt, DateTimeOffset ReceivedAt, DateTimeOffset ClaimedAt);

/// <param name="Fraction">0..1, or null when the script cannot tell.</param>
/// <param name="MetricsJson">JSON object of numbers (epoch, loss, accuracy, rows...), or null.</param>
public record TaskProgressed(Guid TaskId, int Attempt, string WorkerId, DateTimeOffset Timestamp,
    double? Fraction, string? Message, string? MetricsJson) : ITaskEvent;

public record TaskCompleted(Guid TaskId, int Attempt, string WorkerId, DateTimeOffset Timestamp, string ResultJson) : ITaskEvent;

public record TaskFailed(Guid TaskId, int Attempt, string WorkerId, DateTimeOffset Timestamp, string Error) : ITaskEvent;

public record TaskCancelled(Guid TaskId, int Attempt, string WorkerId, DateTimeOffset Timestamp, string Reason) : ITaskEvent;

/// <summary>A task's log line from its script, for the task's timeline.</summary>
public record TaskLogged(Guid TaskId, int Attempt, string WorkerId, DateTimeOffset Timestamp, string Level, string Message) : ITaskEvent;

/// <param name="Version">The worker's build (informational version); null from workers older than the field.</param>
/// <param name="Load">What the worker and its script runners use and offer; null from workers older than the field.</param>
public record WorkerHeartbeat(string WorkerId, string Kind, string Host, int ProcessId, int Concurrency,
    IReadOnlyList<Guid> RunningTaskIds, DateTimeOffset StartedAt, DateTimeOffset Timestamp,
    string? Version = null, WorkerLoad? Load = null);

/// <param name="CpuCores">Cores the worker and its runners used since the previous heartbeat (1.5 = one and a half).</param>
/// <param name="MemoryBytes">Resident memory of the worker and its runners.</param>
/// <param name="CpuCapacity">Cores the worker offers tasks (<c>Worker:CpuCapacity</c>).</param>
/// <param name="MemoryCapacityMiB">Memory the worker offers tasks (<c>Worker:MemoryCapacityMiB</c>).</param>
public record WorkerLoad(double CpuCores, long MemoryBytes, double CpuCapacity, long MemoryCapacityMiB);

/// <summary>Published when a worker shuts down cleanly, so monitors drop it at once instead of waiting for staleness.</summary>
public record WorkerStopped(string WorkerId, string Kind, DateTimeOffset Timestamp);
