namespace AiPlatform.ScriptRunner;

/// <summary>
/// Keeps script-runner processes warm so a task starts without paying process and runtime start-up. A runner goes
/// back to the pool after a clean end (like a prefork pool's max-tasks-per-child) and is replaced after a crash, a
/// kill or too many tasks, so the pool never spawns a process on the hot path of a healthy worker.
/// </summary>
public sealed class RunnerPool(RunnerLaunch launch, int warmRunners, int maxTasksPerRunner) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private readonly Queue<Task<RunnerProcess>> _idle = new();
    private bool _disposed;

    /// <summary>Starts runners until <c>warmRunners</c> are idle.</summary>
    public void Warm()
    {
        lock (_lock)
            while (!_disposed && _idle.Count < warmRunners) _idle.Enqueue(RunnerProcess.StartAsync(launch, StartTimeout));
    }

    public async Task<RunnerProcess> AcquireAsync()
    {
        while (true)
        {
            Task<RunnerProcess>? next;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _idle.TryDequeue(out next);
            }
            var runner = await (next ?? RunnerProcess.StartAsync(launch, StartTimeout));
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

    /// <param name="reusable">False when the run ended in a way that may leave the process in a bad state.</param>
    public async Task ReleaseAsync(RunnerProcess runner, bool reusable)
    {
        if (reusable && !runner.HasExited && runner.TasksRun < maxTasksPerRunner)
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    _idle.Enqueue(Task.FromResult(runner));
                    return;
                }
            }
        }
        await runner.DisposeAsync();
        Warm();
    }

    public async ValueTask DisposeAsync()
    {
        Task<RunnerProcess>[] idle;
        lock (_lock)
        {
            _disposed = true;
            idle = _idle.ToArray();
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
