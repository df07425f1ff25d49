using System.Diagnostics.Metrics;
using AiPlatform.Lake.Metrics;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// In the script runner: sums what the lake's counters measure here until the next <see cref="Drain"/>, so the runner
/// can hand it to its worker (<see cref="LakeTraffic"/>), the process that exports it.
/// </summary>
public sealed class LakeTrafficRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private Dictionary<(string Instrument, string Tag, string Value), long> _pending = [];

    public LakeTrafficRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == LakeMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, amount, tags, _) =>
        {
            // Every lake counter carries exactly one label.
            if (tags.Length != 1) return;
            var key = (instrument.Name, tags[0].Key, tags[0].Value?.ToString() ?? "");
            lock (_lock) _pending[key] = _pending.GetValueOrDefault(key) + amount;
        });
        _listener.Start();
    }

    /// <summary>What was counted since the previous call, or null when nothing was.</summary>
    public LakeTraffic? Drain()
    {
        Dictionary<(string Instrument, string Tag, string Value), long> counted;
        lock (_lock)
        {
            if (_pending.Count == 0) return null;
            (counted, _pending) = (_pending, []);
        }
        return new LakeTraffic(counted.Select(c => new LakeCount(c.Key.Instrument, c.Key.Tag, c.Key.Value, c.Value)).ToList());
    }

    public void Dispose() => _listener.Dispose();
}
