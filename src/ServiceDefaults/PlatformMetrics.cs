using System.Diagnostics.Metrics;

namespace AiPlatform.ServiceDefaults;

/// <summary>
/// The platform's own instruments, one meter for every process. Prometheus names come from these: dots become
/// underscores, the unit is appended (s -> _seconds, By -> _bytes) and counters end in _total. Labels stay bounded:
/// task type, final state, worker kind, queue name; never a task or worker id.
/// </summary>
public static class PlatformMetrics
{
    public const string MeterName = "AiPlatform";

    public static readonly Meter Meter = new(MeterName);

    /// <summary>From a few milliseconds (dispatch, a predict) to hours (a training run).</summary>
    private static readonly IReadOnlyList<double> SecondsBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400];

    public static readonly Counter<long> TasksSubmitted =
        Meter.CreateCounter<long>("aiplatform.tasks.submitted", "{task}", "Tasks accepted by the REST API, by type.");

    public static readonly Counter<long> TasksStarted =
        Meter.CreateCounter<long>("aiplatform.tasks.started", "{task}", "Task attempts a worker started, by type.");

    public static readonly Counter<long> TasksFinished =
        Meter.CreateCounter<long>("aiplatform.tasks.finished", "{task}",
            "Task attempts a worker ended, by type and state (completed, failed, cancelled, or released back to the queue).");

    public static readonly Histogram<double> TaskDuration =
        Meter.CreateHistogram<double>("aiplatform.task.duration", "s", "From a task attempt's start on a worker to its end, by type and state.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    public static readonly Histogram<double> DispatchLatency =
        Meter.CreateHistogram<double>("aiplatform.task.dispatch.latency", "s", "From the task command's dispatch to a worker receiving it, by type.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Powers of two up to the largest batch a predictor is likely to ask for.</summary>
    private static readonly IReadOnlyList<int> BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

    public static readonly Histogram<int> PredictBatchSize =
        Meter.CreateHistogram<int>("aiplatform.predict.batch.size", "{request}", "Requests a serving replica's predictor answered together, one record per batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });

    public static readonly Histogram<double> PredictDuration =
        Meter.CreateHistogram<double>("aiplatform.predict.duration", "s", "Predict requests through the gateway, end to end.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
}
