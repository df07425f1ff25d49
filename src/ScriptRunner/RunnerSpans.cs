using System.Diagnostics;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// The script runner's spans (compile, run), in the task's trace. The runner does not export them itself: it is
/// sandboxed without a network (the collector is out of reach), starts with an allow-listed environment that carries
/// no exporter settings, and is pooled across tasks of different traces. So it times its spans under the traceparent
/// its run command carries and reports them over the protocol, and the worker exports them with its own spans, through
/// the same exporter and sampler.
/// </summary>
public static class RunnerSpans
{
    public const string SourceName = "AiPlatform.ScriptRunner";

    private static readonly ActivitySource Source = new(SourceName);

    public const string RunnerProcessTag = "aiplatform.runner.pid";

    /// <summary>Worker side: the traceparent to hand a runner, when the current span is recorded (else nothing to join).</summary>
    public static string? ParentForRunner() => Activity.Current is { Recorded: true } current ? current.Id : null;

    /// <summary>Worker side: exports a span its runner timed, as a child of the span the runner was given.</summary>
    internal static void Export(SpanRecorded recorded, int runnerProcessId)
    {
        if (!ActivityContext.TryParse(recorded.Parent, null, isRemote: true, out var parent)) return;
        using var span = Source.StartActivity(recorded.Name, ActivityKind.Internal, parent, startTime: recorded.StartedAt);
        if (span is null) return;
        span.SetTag(RunnerProcessTag, runnerProcessId);
        if (recorded.Error is { } error) span.SetStatus(ActivityStatusCode.Error, error);
        span.SetEndTime(recorded.EndedAt.UtcDateTime);
    }

    /// <summary>
    /// Runner side: times <paramref name="work"/> and reports it as span <paramref name="name"/> under
    /// <paramref name="parent"/>; untraced runs (no parent) are not timed.
    /// </summary>
    internal static async Task<T> TimeAsync<T>(string? parent, string name, Func<Task<T>> work, Action<RunnerEvent> emit)
    {
        if (parent is null) return await work();
        var startedAt = DateTimeOffset.UtcNow;
        try
        {
            var result = await work();
            emit(new SpanRecorded(name, parent, startedAt, DateTimeOffset.UtcNow, null));
            return result;
        }
        catch (Exception e)
        {
            emit(new SpanRecorded(name, parent, startedAt, DateTimeOffset.UtcNow, e.GetType().Name));
            throw;
        }
    }
}
