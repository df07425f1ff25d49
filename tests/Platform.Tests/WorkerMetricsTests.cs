using System.Diagnostics.Metrics;
using AiPlatform.Messages;
using AiPlatform.ServiceDefaults;
using AiPlatform.Workers.Host;
using Microsoft.Extensions.Options;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The task counters a worker serves at /metrics, read the way an exporter reads them.</summary>
public sealed class WorkerMetricsTests
{
    [Fact]
    public void A_new_workers_task_counters_start_at_zero_for_every_final_state_so_its_first_failure_is_an_increase()
    {
        var seen = new List<(string Instrument, long Value, string? Type, string? State)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == PlatformMetrics.Meter && instrument.Name is "aiplatform.tasks.finished" or "aiplatform.tasks.started")
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var labels = tags.ToArray();
            string? Tag(string key) => labels.FirstOrDefault(t => t.Key == key).Value as string;
            lock (seen) seen.Add((instrument.Name, value, Tag("type"), Tag("state")));
        });
        listener.Start();

        _ = new WorkerMetrics(new WorkerIdentity(WorkerKinds.Train), new RunningTasks(), Options.Create(new WorkerOptions()));

        lock (seen)
        {
            Assert.Contains(("aiplatform.tasks.started", 0L, (string?)TaskTypes.Training, (string?)null), seen);
            foreach (var state in new[] { "completed", "failed", "cancelled", "released" })
                Assert.Contains(("aiplatform.tasks.finished", 0L, (string?)TaskTypes.Training, (string?)state), seen);
        }
    }
}
