namespace AiPlatform.ScriptRunner;

/// <summary>
/// Keeps script-runner processes warm so a task starts without paying process and runtime start-up. A runner goes
/// back to the pool after a clean end (like a prefork pool's max-tasks-per-child) and is replaced after a crash, a
/// kill or too many tasks, so the pool never spawns a process on the hot path of a healthy worker. A runner that ran a
/// task belongs to that task's owner (its submitter) from then on: it is reused for that owner's tasks only, since a
/// script can leave state in its process (statics, files in its /tmp) that another user's script must not see.
/// </summary>
/// <param name="idleLimit">Runners that ran a task kept idle at most (the oldest go first); at least the worker's
/// concurrency, so a worker busy with one owner's tasks keeps them all warm.</param>
public sealed class RunnerPool(RunnerLaunch launch, int warmRunners, int maxTasksPerRunner, int idleLimit) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    /// <summary>Oldest first; a fresh runner has no owner.</summary>
    private readonly List<IdleRunner> _idle = [];
    private bool _disposed;

    private sealed record IdleRunner(Task<RunnerProcess> Runner, string? Owner);

    /// <summary>Starts runners until <c>warmRunners</c> fresh ones are idle.</summary>
    public void Warm()
    {
        lock (_lock)
            while (!_disposed && _idle.Count(r => r.Owner is null) < warmRunners)
                _idle.Add(new IdleRunner(RunnerProcess.StartAsync(launch, StartTimeout), null));
    }

    /// <summary>The runner that last ran a task of <paramref name="owner"/>, else a fresh one: never one that ran another owner's script.</summary>
    public async Task<RunnerProcess> AcquireAsync(string owner)
    {
        while (true)
        {
            IdleRunner? next;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                next = _idle.LastOrDefault(r => r.Owner == owner) ?? _idle.FirstOrDefault(r => r.Owner is null);
                if (next is not null) _idle.Remove(next);
            }
            // A fresh runner taken is replaced at once, so the next owner does not wait for a start either.
            if (next is not { Owner: not null }) Warm();
            var runner = await (next?.Runner ?? RunnerProcess.StartAsync(launch, StartTimeout));
            if (!runner.HasExited) return runner;
            await runner.DisposeAsync();
        }
    }

    /// <summary>
    /// A fresh runner of its own, with <paramref name="environment"/> on top of the pool's (a memory limit, a cpu
    /// count): such settings hold for a process's whole life, so this one is never pooled; release it as not reusable.
    /// </summary>
    public Task<RunnerProcess> StartDedicatedAsync(IReadOnlyDictionary<string, string> environment) =>
        RunnerProcess.StartAsync(launch with
        {
            Environment = launch.Environment.Concat(environment).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Last().Value),
        }, StartTimeout);

    /// <param name="owner">Whose task the runner ran: it is kept for that owner's next tasks.</param>
    /// <param name="reusable">False when the run ended in a way that may leave the process in a bad state.</param>
    public async Task ReleaseAsync(RunnerProcess runner, string owner, bool reusable)
    {
        RunnerProcess? retired = runner;
        if (reusable && !runner.HasExited && runner.TasksRun < maxTasksPerRunner)
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    _idle.Add(new IdleRunner(Task.FromResult(runner), owner));
                    var owned = _idle.Where(r => r.Owner is not null).ToList();
                    retired = owned.Count > idleLimit ? owned[0].Runner.Result : null;
                    if (retired is not null) _idle.Remove(owned[0]);
                }
            }
        }
        if (retired is null) return;
        await retired.DisposeAsync();
        Warm();
    }

    public async ValueTask DisposeAsync()
    {
        Task<RunnerProcess>[] idle;
        lock (_lock)
        {
            _disposed = true;
            idle = _idle.Select(r => r.Runner).ToArray();
            _idle.Clear();
        }
        foreach (var pending in idle)
        {
            try
            {
                await (await pending).DisposeAsync();
            }
            catch (InvalidOperationException)
            {
                // A runner that never started has nothing to dispose.
            }
        }
    }
}
