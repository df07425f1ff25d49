using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Inference;

/// <summary>
/// The inference services this gateway recently found running, remembered for <see cref="PredictOptions.RunningServiceCacheDuration"/>:
/// predict is the platform's hottest path, and a database round trip per request costs more than a batched forward
/// pass. Only "running" is remembered; a request for anything else reads the task afresh, and a remembered service
/// whose replicas fail to answer is looked up again, so a stopped service still answers SERVICE_NOT_RUNNING.
/// </summary>
public sealed class RunningServices(IOptions<PredictOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, (string Name, long Until)> _running = new();

    public bool TryGet(Guid taskId, out string name)
    {
        name = "";
        if (!_running.TryGetValue(taskId, out var entry)) return false;
        if (clock.GetTimestamp() > entry.Until)
        {
            _running.TryRemove(new KeyValuePair<Guid, (string, long)>(taskId, entry));
            return false;
        }
        name = entry.Name;
        return true;
    }

    public void Remember(Guid taskId, string name)
    {
        var until = clock.GetTimestamp() + (long)(options.Value.RunningServiceCacheDuration.TotalSeconds * clock.TimestampFrequency);
        _running[taskId] = (name, until);
    }

    public void Forget(Guid taskId) => _running.TryRemove(taskId, out _);
}
