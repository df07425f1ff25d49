using System.Diagnostics;
using AiPlatform.Messages;
using AiPlatform.ScriptRunner;
using AiPlatform.ServiceDefaults;

namespace AiPlatform.Workers.Host;

/// <summary>A worker's spans for a task: children of the command's consume span, so they sit in the task's trace.</summary>
internal static class TaskSpans
{
    public static Activity? Start(string name, ITaskCommand command) =>
        PlatformTracing.Source.StartActivity(name)
            ?.SetTag(PlatformTracing.TaskIdTag, command.TaskId)
            .SetTag(PlatformTracing.AttemptTag, command.Attempt);

    public static void End(Activity? span, ScriptOutcome outcome)
    {
        if (span is null) return;
        span.SetTag("aiplatform.task.outcome", outcome.GetType().Name.ToLowerInvariant());
        if (outcome is ScriptOutcome.Failed failed) span.SetStatus(ActivityStatusCode.Error, failed.Error);
    }
}
