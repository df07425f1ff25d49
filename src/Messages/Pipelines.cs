namespace AiPlatform.Messages;

/// <summary>Gateway -> run saga: a new run row exists and its first steps must start.</summary>
public record PipelineRunSubmitted(Guid RunId);

/// <summary>
/// A step's task reached its end (from the task's own events, or from the gateway's sweep of finished tasks, whichever
/// comes first; the saga takes the first and ignores the rest).
/// </summary>
/// <param name="Outcome">completed, failed or cancelled.</param>
public record PipelineStepTaskFinished(Guid RunId, string Step, Guid TaskId, string Outcome, string? ResultJson, string? Error);

/// <summary>Gateway -> run saga: a step's retry is due, or the run should look at its steps again.</summary>
public record PipelineRunDue(Guid RunId);

public record CancelPipelineRun(Guid RunId, string Reason);

public record ResumePipelineRun(Guid RunId, string RequestedBy);

public static class PipelineQueueNames
{
    public const string Runs = "pipeline-runs";
    public const string TaskEvents = "pipeline-task-events";
}
