using AiPlatform.Gateway.Monitoring;
using AiPlatform.Messages;

namespace AiPlatform.Gateway.Cluster;

/// <summary>Capacity per worker kind from the live workers' heartbeats, and the depth of the queue each kind takes work from.</summary>
public sealed class ClusterResources(ClusterNodes nodes, QueueMonitor queues)
{
    public async Task<ClusterResourcesView> GetAsync(CancellationToken ct)
    {
        var live = nodes.Nodes().Where(n => !n.Stale).ToList();
        IReadOnlyList<QueueView> depths = [];
        string? queueError = null;
        try
        {
            depths = await queues.GetQueuesAsync(ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // Capacity is still worth answering while the broker's management API is away.
            queueError = $"RabbitMQ's management API did not answer: {e.Message}";
        }
        return new ClusterResourcesView(ClusterOptions.Kinds.Select(kind => OfKind(kind, live, depths)).ToList(), queueError);
    }

    private static KindResources OfKind(string kind, IReadOnlyList<NodeView> live, IReadOnlyList<QueueView> depths)
    {
        var workers = live.Where(n => n.Kind == kind).ToList();
        var slots = workers.Sum(n => n.Slots);
        var busy = workers.Sum(n => Math.Min(n.RunningTaskIds.Count, n.Slots));
        var queue = depths.FirstOrDefault(q => q.Name == QueueOf(kind)) is { } q ? new QueueDepth(q.Name, q.Ready, q.Unacked, q.Consumers) : null;
        return new KindResources(kind, workers.Count, slots, busy, slots - busy,
            workers.Sum(n => n.CpuCapacity ?? 0), Math.Round(workers.Sum(n => n.CpuCores ?? 0), 3),
            workers.Sum(n => n.MemoryCapacityMiB ?? 0), workers.Sum(n => n.MemoryBytes ?? 0), queue);
    }

    /// <summary>Where a kind's work waits: the task queues, and for serve workers the predict requests they share.</summary>
    private static string QueueOf(string kind) => kind switch
    {
        WorkerKinds.Ingest => QueueNames.Ingest,
        WorkerKinds.Train => QueueNames.Train,
        _ => QueueNames.Predictions,
    };
}
