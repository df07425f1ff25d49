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
    private readonly ConcurrentDictionary<Guid, (string Project, string Name, long Until)> _running = new();

    /// <summary>The running service's name, when <paramref name="project"/> is its own: another project's caller reads the task, and is told it does not exist.</summary>
    public bool TryGet(Guid taskId, string project, out string name)
    {
        name = "";
        if (!_running.TryGetValue(taskId, out var entry) || entry.Project != project) return false;
        if (clock.GetTimestamp() > entry.Until)
        {
            _running.TryRemove(new KeyValuePair<Guid, (string, string, long)>(taskId, entry));
            return false;
        }
        name = entry.Name;
        return true;
    }

    public void Remember(Guid taskId, string project, string name)
    {
        var until = clock.GetTimestamp() + (long)(options.Value.RunningServiceCacheDuration.TotalSeconds * clock.TimestampFrequency);
        _running[taskId] = (project, name, until);
    }

    public void Forget(Guid taskId) => _running.TryRemove(taskId, out _);
}
