using System.Diagnostics.Metrics;
using AiPlatform.Messages;
using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.Workers.Host;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The per-task training gauges a train worker serves at /metrics, read the way an exporter reads them.</summary>
public sealed class TrainingProgressGaugesTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly Meter _meter = new($"test-{Guid.NewGuid():N}");
    private readonly ManualClock _clock = new(Start);
    private readonly TrainingProgressGauges _gauges;
    private readonly Guid _task = Guid.NewGuid();

    public TrainingProgressGaugesTests() => _gauges = new TrainingProgressGauges(_meter, _clock);

    [Fact]
    public void Loss_epoch_and_the_last_epochs_duration_follow_the_progress_a_task_reports()
    {
        _gauges.Started(new TaskStarted(_task, 1, "w", Start));
        Assert.Empty(Read());

        Progress(Start.AddSeconds(30), """{"epoch": 1, "loss": 0.9, "accuracy": 0.7}""");
        Assert.Equal(new Dictionary<string, double> { ["aiplatform.training.loss"] = 0.9, ["aiplatform.training.epoch"] = 1, ["aiplatform.training.epoch.duration"] = 30 },
            Read());

        // A report within the epoch moves the loss only; the next epoch's report times that epoch.
        Progress(Start.AddSeconds(40), """{"loss": 0.8}""");
        Progress(Start.AddSeconds(75), """{"epoch": 2, "train_loss": 0.5}""");
        Assert.Equal(new Dictionary<string, double> { ["aiplatform.training.loss"] = 0.5, ["aiplatform.training.epoch"] = 2, ["aiplatform.training.epoch.duration"] = 45 },
            Read());
    }

    [Fact]
    public void A_tasks_series_stay_a_while_after_it_ends_so_a_scrape_sees_the_final_values_then_go()
    {
        _gauges.Started(new TaskStarted(_task, 1, "w", Start));
        Progress(Start.AddSeconds(10), """{"epoch": 1, "loss": 0.3}""");
        _gauges.Ended(_task);
        _clock.Now += TrainingProgressGauges.KeptAfterEnd - TimeSpan.FromSeconds(1);
        Assert.Equal(0.3, Read()["aiplatform.training.loss"]);
        _clock.Now += TimeSpan.FromSeconds(2);
        Assert.Empty(Read());
    }

    [Fact]
    public void Metrics_that_are_not_numbers_and_tasks_never_started_here_are_left_out()
    {
        _gauges.Started(new TaskStarted(_task, 1, "w", Start));
        Progress(Start.AddSeconds(5), """{"epoch": "one", "loss": "low"}""");
        Progress(Start.AddSeconds(6), """[1, 2]""");
        _gauges.Progressed(new TaskProgressed(Guid.NewGuid(), 1, "w", Start, 0.5, null, """{"epoch": 1, "loss": 1.0}"""));
        Assert.Empty(Read());
    }

    private void Progress(DateTimeOffset at, string metrics) => _gauges.Progressed(new TaskProgressed(_task, 1, "w", at, null, null, metrics));

    /// <summary>The gauges' current values for this test's task, by instrument name.</summary>
    private Dictionary<string, double> Read()
    {
        var values = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter == _meter) l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag is { Key: "task_id" } && (string?)tag.Value == _task.ToString()) values[instrument.Name] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    public void Dispose() => _meter.Dispose();
}
