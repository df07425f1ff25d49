using System.Collections.Concurrent;

namespace AiPlatform.Workers.Host;

/// <summary>The tasks this worker is running now, so cancel messages and heartbeats can find them.</summary>
public sealed class RunningTasks
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _tasks = new();

    public IReadOnlyList<Guid> Ids => _tasks.Keys.ToList();

    public CancellationToken Register(Guid taskId, CancellationToken stopping)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _tasks[taskId] = source;
        return source.Token;
    }

    public void Unregister(Guid taskId)
    {
        if (_tasks.TryRemove(taskId, out var source)) source.Dispose();
    }

    public bool Cancel(Guid taskId)
    {
        if (!_tasks.TryGetValue(taskId, out var source)) return false;
        source.Cancel();
        return true;
    }
}
