using System.Text.Json.Serialization;
using AiPlatform.Messages;

namespace AiPlatform.Gateway.Cluster;

/// <summary>One worker as its latest heartbeat describes it; the load fields are null for workers too old to send them.</summary>
public sealed record NodeView(
    string WorkerId,
    string Kind,
    string Host,
    int ProcessId,
    int Slots,
    IReadOnlyList<Guid> RunningTaskIds,
    double? CpuCores,
    double? CpuCapacity,
    long? MemoryBytes,
    [property: JsonPropertyName("memory_capacity_mib")] long? MemoryCapacityMiB,
    string? Version,
    DateTimeOffset StartedAt,
    DateTimeOffset LastHeartbeatAt,
    bool Stale)
{
    public static NodeView From(WorkerHeartbeat beat, bool stale) => new(beat.WorkerId, beat.Kind, beat.Host, beat.ProcessId,
        beat.Concurrency, beat.RunningTaskIds, beat.Load?.CpuCores, beat.Load?.CpuCapacity, beat.Load?.MemoryBytes, beat.Load?.MemoryCapacityMiB,
        beat.Version, beat.StartedAt, beat.Timestamp, stale);
}

/// <summary>What the live workers of a kind offer and use, and the queue they take work from. Stale workers count nowhere.</summary>
public sealed record KindResources(
    string Kind,
    int Workers,
    int SlotsTotal,
    int SlotsBusy,
    int SlotsFree,
    double CpuCapacity,
    double CpuCores,
    [property: JsonPropertyName("memory_capacity_mib")] long MemoryCapacityMiB,
    long MemoryBytes,
    QueueDepth? Queue);

public sealed record QueueDepth(string Name, long MessagesReady, long MessagesUnacked, int Consumers);

/// <param name="QueueError">Why queue depths are missing (RabbitMQ's management API did not answer), or null.</param>
public sealed record ClusterResourcesView(IReadOnlyList<KindResources> Kinds, string? QueueError);

public sealed record ScaleRequest(string? Kind, int? Replicas);

/// <param name="Target">What was (or is to be) scaled: the desired-count file, the compose service, the deployment.</param>
/// <param name="Command">Compose mode: the command that scales; the gateway itself changed nothing.</param>
public sealed record ScaleView(string Mode, string Kind, int Replicas, string Target,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Command = null);
