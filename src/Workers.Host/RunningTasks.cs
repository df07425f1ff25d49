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

    /// <summary>How long an attempt that ended here is remembered, so a late copy of its command is dropped unclaimed.</summary>
    private static readonly TimeSpan EndedMemory = TimeSpan.FromMinutes(10);

    private DateTimeOffset _endedPrunedAt;

    // A broker restart hands back every command whose ack died with its channel, after its task may have ended here.
    // Claiming such a copy asks the saga over a reply queue that is itself still being re-declared, and the claim's
    // retries would hold this worker's only slot for minutes while new tasks wait behind it.
    private readonly ConcurrentDictionary<(Guid TaskId, int Attempt), DateTimeOffset> _ended = new();

    public IReadOnlyList<Guid> Ids => _tasks.Keys.ToList();

    /// <summary>
    /// Takes a task's command for this worker, unless it already holds one for the task: a copy delivered while the
    /// first is being claimed or run (a redelivery after a channel closed, a command the gateway sent again) would
    /// otherwise be claimed as a lost answer and run a second time beside the first.
    /// </summary>
    public bool TryHold(Guid taskId) => _held.TryAdd(taskId, 0);

    public void Release(Guid taskId) => _held.TryRemove(taskId, out _);

    /// <summary>Records that this worker ran <paramref name="attempt"/> of a task to its end and reported it.</summary>
    public void Ended(Guid taskId, int attempt)
    {
        var now = DateTimeOffset.UtcNow;
        _ended[(taskId, attempt)] = now;
        // Pruned once a minute, not per task: at hundreds of tasks a second a scan per end would cost more than the task.
        if (now - _endedPrunedAt < TimeSpan.FromMinutes(1)) return;
        _endedPrunedAt = now;
        foreach (var (key, at) in _ended)
            if (now - at > EndedMemory) _ended.TryRemove(key, out _);
    }

    /// <summary>Whether this attempt already ran to its end here: a copy of its command has nothing left to do.</summary>
    public bool HasEnded(Guid taskId, int attempt) => _ended.ContainsKey((taskId, attempt));

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
