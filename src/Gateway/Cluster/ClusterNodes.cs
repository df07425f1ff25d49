using System.Collections.Concurrent;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Cluster;

/// <summary>
/// Every worker's latest heartbeat, in this gateway's memory. Each gateway hears every heartbeat on a queue of its own
/// (<see cref="ClusterNodeSubscription"/>), so replicas agree without a table, and a restarted gateway knows the
/// fleet again after one heartbeat interval. A worker that says it stopped is dropped at once; one that falls silent
/// is kept, marked stale past the heartbeat timeout (the one operators need to look at), and forgotten later.
/// </summary>
public sealed class ClusterNodes(TimeProvider clock, IOptions<TaskOptions> tasks, IOptions<ClusterOptions> cluster)
{
    private readonly ConcurrentDictionary<string, WorkerHeartbeat> _latest = new();

    public void Heard(WorkerHeartbeat beat) =>
        _latest.AddOrUpdate(beat.WorkerId, beat, (_, known) => beat.Timestamp >= known.Timestamp ? beat : known);

    public void Stopped(WorkerStopped stopped) => _latest.TryRemove(stopped.WorkerId, out _);

    public IReadOnlyList<NodeView> Nodes()
    {
        var now = clock.GetUtcNow();
        foreach (var (id, beat) in _latest)
            if (now - beat.Timestamp > cluster.Value.ForgetSilentWorkersAfter) _latest.TryRemove(id, out _);
        var staleBefore = now - tasks.Value.HeartbeatTimeout;
        return _latest.Values
            .OrderBy(b => b.Kind, StringComparer.Ordinal).ThenBy(b => b.WorkerId, StringComparer.Ordinal)
            .Select(b => NodeView.From(b, stale: b.Timestamp < staleBefore))
            .ToList();
    }
}
