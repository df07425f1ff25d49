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
    public const string Actions = "pipeline-actions";
}

/// <summary>
/// Run saga -> gateway: carry out a step that is an action on the platform itself (look a model version up, promote
/// it, deploy it) rather than a script on a worker. Answered with <see cref="PipelineStepTaskFinished"/> under
/// <paramref name="ActionId"/>; carrying one out again changes nothing more, so it may be sent again when its answer is late.
/// </summary>
/// <param name="Model">The model reference the action is about, references filled in and pinned.</param>
/// <param name="Output">What the action writes: the alias a promote moves, the service a deploy starts.</param>
/// <param name="Script">A deploy's serving script, snapshotted when the run started.</param>
/// <param name="Project">The run's project, whose registry and services the action works on.</param>
public record RunPipelineAction(Guid RunId, string Step, Guid ActionId, string Type, string Model, string? Output, string ParamsJson,
    TaskScript? Script, string? Actor, string Project = ProjectNames.Default);
