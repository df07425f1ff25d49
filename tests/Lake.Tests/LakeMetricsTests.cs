using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.Metrics;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

public sealed class LakeMetricsTests
{
    [Fact]
    public async Task A_write_a_read_and_a_lost_commit_move_the_lake_counters()
    {
        // Other tests of this assembly use the lake at the same time, so counters may only be asked to have moved at
        // least as far as this test's own traffic takes them.
        using var counters = new LakeCounters();
        var options = new LakeOptions { Root = Path.Combine(Path.GetTempPath(), "aiplatform-lake-tests", Guid.NewGuid().ToString("N")) };
        var catalog = new LakeCatalog(options);

        await using (var writer = catalog.CreateDatasetWriter("metered", Samples.AllTypes))
        {
            await writer.WriteAsync(Samples.Batch(0, 300));
            await writer.CommitAsync();
        }
        var stored = Directory.EnumerateFiles(options.Root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(counters.Value("aiplatform.lake.written", ("store", "local")) >= stored,
            $"written {counters.Value("aiplatform.lake.written", ("store", "local"))} bytes counted, {stored} bytes in the lake");

        var readBefore = counters.Value("aiplatform.lake.read", ("store", "local"));
        Samples.AssertRows(await (await catalog.OpenDatasetAsync("metered")).ReadAsync(), 0);
        Assert.True(counters.Value("aiplatform.lake.read", ("store", "local")) > readBefore);

        // An overwrite that finds a newer version at commit is refused, and counted so.
        var refusedBefore = counters.Value("aiplatform.lake.commit.conflicts", ("resolution", "refused"));
        await using var late = catalog.CreateDatasetWriter("metered", Samples.AllTypes, WriteMode.Overwrite);
        await late.WriteAsync(Samples.Batch(0, 10));
        await using (var first = catalog.CreateDatasetWriter("metered", Samples.AllTypes, WriteMode.Overwrite))
        {
            await first.WriteAsync(Samples.Batch(0, 20));
            await first.CommitAsync();
        }
        await Assert.ThrowsAsync<LakeConflictException>(() => late.CommitAsync());
        Assert.True(counters.Value("aiplatform.lake.commit.conflicts", ("resolution", "refused")) > refusedBefore);
    }

    /// <summary>Sums of the lake meter's counters per instrument and tag, as an exporter would see them.</summary>
    private sealed class LakeCounters : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string Instrument, string Tag, string? Value), long> _sums = new();

        public LakeCounters()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == LakeMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                foreach (var tag in tags) _sums.AddOrUpdate((instrument.Name, tag.Key, tag.Value as string), value, (_, sum) => sum + value);
            });
            _listener.Start();
        }

        public long Value(string instrument, (string Key, string Value) tag) => _sums.GetValueOrDefault((instrument, tag.Key, tag.Value));

        public void Dispose() => _listener.Dispose();
    }
}
