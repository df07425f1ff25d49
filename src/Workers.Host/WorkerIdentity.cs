namespace AiPlatform.Workers.Host;

/// <summary>Who this process is in the fleet; the id is unique per process start.</summary>
public sealed class WorkerIdentity(string kind)
{
    public string Kind { get; } = kind;
    public string Host { get; } = Environment.MachineName;
    public int ProcessId { get; } = Environment.ProcessId;
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public string WorkerId { get; } = $"{kind}-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
}
