using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using AiPlatform.Messages;

namespace AiPlatform.Workers.Host;

/// <summary>
/// Each training task's latest loss, its epoch and how long its last epoch took, as gauges labelled by task id, read
/// off the progress events its script reports (metrics <c>epoch</c> and <c>loss</c>, or <c>train_loss</c>). The
/// task id is the one unbounded label the platform allows, so a task's series go away <see cref="KeptAfterEnd"/> after
/// it ends: long enough for a scrape to see the final values.
/// </summary>
public sealed class TrainingProgressGauges
{
    public static readonly TimeSpan KeptAfterEnd = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<Guid, TrainingProgress> _tasks = new();
    private readonly TimeProvider _clock;

    public TrainingProgressGauges(Meter meter, TimeProvider clock)
    {
        _clock = clock;
        meter.CreateObservableGauge("aiplatform.training.loss", () => Measure(p => p.Loss), "1", "The latest training loss a task reported, by task.");
        meter.CreateObservableGauge("aiplatform.training.epoch", () => Measure(p => p.Epoch), "{epoch}", "The latest epoch a task finished, by task.");
        meter.CreateObservableGauge("aiplatform.training.epoch.duration", () => Measure(p => p.LastEpochSeconds), "s",
            "How long a task's latest finished epoch took, from the previous epoch's report (or the start), by task.");
    }

    public void Started(TaskStarted started) => _tasks[started.TaskId] = new TrainingProgress(started.Timestamp);

    public void Progressed(TaskProgressed progressed)
    {
        if (progressed.MetricsJson is null || !_tasks.TryGetValue(progressed.TaskId, out var progress)) return;
        using var metrics = ParseOrNull(progressed.MetricsJson);
        if (metrics?.RootElement.ValueKind != JsonValueKind.Object) return;
        lock (progress)
        {
            if ((Number(metrics.RootElement, "loss") ?? Number(metrics.RootElement, "train_loss")) is { } loss) progress.Loss = loss;
            if (Number(metrics.RootElement, "epoch") is { } epoch && epoch != progress.Epoch)
            {
                progress.LastEpochSeconds = Math.Max(0, (progressed.Timestamp - progress.EpochReportedAt).TotalSeconds);
                progress.EpochReportedAt = progressed.Timestamp;
                progress.Epoch = epoch;
            }
        }
    }

    public void Ended(Guid taskId)
    {
        if (_tasks.TryGetValue(taskId, out var progress)) progress.EndedAt = _clock.GetUtcNow();
    }

    private IEnumerable<Measurement<double>> Measure(Func<TrainingProgress, double?> value)
    {
        var now = _clock.GetUtcNow();
        foreach (var (taskId, progress) in _tasks)
        {
            if (progress.EndedAt is { } ended && now - ended > KeptAfterEnd)
            {
                _tasks.TryRemove(taskId, out _);
                continue;
            }
            double? measured;
            lock (progress) measured = value(progress);
            if (measured is { } v) yield return new Measurement<double>(v, new KeyValuePair<string, object?>("task_id", taskId.ToString()));
        }
    }

    /// <summary>The runner serializes a script's metrics, so they parse; a gauge is not worth failing a publish for if they do not.</summary>
    private static JsonDocument? ParseOrNull(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static double? Number(JsonElement metrics, string name) =>
        metrics.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private sealed class TrainingProgress(DateTimeOffset startedAt)
    {
        public DateTimeOffset EpochReportedAt { get; set; } = startedAt;
        public double? Loss { get; set; }
        public double? Epoch { get; set; }
        public double? LastEpochSeconds { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
    }
}
