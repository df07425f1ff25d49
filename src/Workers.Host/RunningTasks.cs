using System.Collections.Concurrent;

namespace AiPlatform.Workers.Host;

/// <summary>The tasks this worker is running now, so cancel messages and heartbeats can find them.</summary>
public sealed class RunningTasks
{
    /// <summary>How long a cancel for a task not (yet) running here is remembered.</summary>
    private static readonly TimeSpan EarlyCancelMemory = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _tasks = new();

    // The claim reply and a cancel travel separately, so a cancel can overtake the claim and reach the worker before
    // the task is registered here; it is kept for a while and applied when the task registers.
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _earlyCancels = new();

    // Commands this worker holds from before their claim until their run ends.
    private readonly ConcurrentDictionary<Guid, byte> _held = new();

    public IReadOnlyList<Guid> Ids => _tasks.Keys.ToList();

    /// <summary>
    /// Takes a task's command for this worker, unless it already holds one for the task: a copy delivered while the
    /// first is being claimed or run (a redelivery after a channel closed, a command the gateway sent again) would
    /// otherwise be claimed as a lost answer and run a second time beside the first.
    /// </summary>
    public bool TryHold(Guid taskId) => _held.TryAdd(taskId, 0);

    public void Release(Guid taskId) => _held.TryRemove(taskId, out _);

    public CancellationToken Register(Guid taskId, CancellationToken stopping)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _tasks[taskId] = source;
        if (_earlyCancels.TryRemove(taskId, out _)) source.Cancel();
        return source.Token;
    }

    public void Unregister(Guid taskId)
    {
        if (_tasks.TryRemove(taskId, out var source)) source.Dispose();
    }

    /// <summary>Cancels the task if it runs here; otherwise remembers the cancel in case the task is about to start here.</summary>
    public void Cancel(Guid taskId)
    {
        var now = DateTimeOffset.UtcNow;
        _earlyCancels[taskId] = now;
        // Register may have run between the add above and this lookup, so the task is cancelled whichever came first.
        if (_tasks.TryGetValue(taskId, out var source))
        {
            _earlyCancels.TryRemove(taskId, out _);
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The task ended and unregistered in the meantime: nothing left to cancel.
            }
        }
        foreach (var (id, at) in _earlyCancels)
            if (now - at > EarlyCancelMemory) _earlyCancels.TryRemove(id, out _);
    }
}
