namespace AiPlatform.Gateway.Workers;

/// <summary>The latest heartbeat of a worker instance.</summary>
public class WorkerRecord
{
    public string WorkerId { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Host { get; set; } = "";
    public int ProcessId { get; set; }
    public int Concurrency { get; set; }
    public List<Guid> RunningTaskIds { get; set; } = [];
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset LastHeartbeatAt { get; set; }
    public DateTimeOffset? StoppedAt { get; set; }
}
