using System.Diagnostics.Metrics;

namespace AiPlatform.Lake.Metrics;

/// <summary>
/// The lake's instruments, on the meter <c>AiPlatform.Lake</c> that every process's telemetry already listens to. Plain
/// System.Diagnostics.Metrics: the lake stays free of any exporter, and a process that listens to nothing pays nothing.
/// Labels stay bounded: the store kind (local, s3) and a conflict's resolution.
/// </summary>
public static class LakeMetrics
{
    public const string MeterName = "AiPlatform.Lake";

    public static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> BytesRead =
        Meter.CreateCounter<long>("aiplatform.lake.read", "By", "Bytes read from the lake's object store, by store kind.");

    public static readonly Counter<long> BytesWritten =
        Meter.CreateCounter<long>("aiplatform.lake.written", "By", "Bytes written to the lake's object store, by store kind.");

    public static readonly Counter<long> CommitConflicts =
        Meter.CreateCounter<long>("aiplatform.lake.commit.conflicts", "{conflict}",
            "Commits that found another writer's version first: retried (an append goes on top) or refused (the writer gets a conflict).");

    private static readonly Dictionary<string, Counter<long>> Counters =
        new[] { BytesRead, BytesWritten, CommitConflicts }.ToDictionary(c => c.Name);

    /// <summary>
    /// Adds what another process measured to this process's counters, for a process that exports nothing itself (a
    /// script runner reports to its worker). Every lake counter has one label; unknown instruments are ignored.
    /// </summary>
    public static void Add(string instrument, string tag, string value, long amount) =>
        Counters.GetValueOrDefault(instrument)?.Add(amount, new KeyValuePair<string, object?>(tag, value));

    public const string StoreTag = "store";
    public const string ResolutionTag = "resolution";
    public const string Retried = "retried";
    public const string Refused = "refused";
}
