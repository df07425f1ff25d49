namespace AiPlatform.Gateway.Tasks;

/// <summary>One line of a task's timeline: every status event, progress report and script log as it arrived.</summary>
public class TaskEventRecord
{
    public long Id { get; set; }
    public Guid TaskId { get; set; }
    public int Attempt { get; set; }
    public string Kind { get; set; } = "";
    public string? WorkerId { get; set; }
    public DateTimeOffset Timestamp { get; set; }
    public string DataJson { get; set; } = "{}";
}
