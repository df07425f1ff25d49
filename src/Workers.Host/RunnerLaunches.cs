using AiPlatform.ScriptRunner;

namespace AiPlatform.Workers.Host;

/// <summary>How this worker starts a runner for each script engine; <c>TorchSharp</c> is null on a worker without its runner.</summary>
public sealed record RunnerLaunches(RunnerLaunch Own, RunnerLaunch? TorchSharp)
{
    /// <summary>The launch for the engine <paramref name="scriptSource"/> selects.</summary>
    /// <exception cref="ArgumentException">The script names an unknown engine, or one this worker cannot run.</exception>
    public RunnerLaunch For(string scriptSource) => ScriptEngines.Of(scriptSource) switch
    {
        ScriptEngine.TorchSharp => TorchSharp ?? throw new ArgumentException(
            "the script runs on the TorchSharp engine, which this worker does not have (Worker:TorchSharpRunner names no runner program; its start log says more)"),
        _ => Own,
    };
}

/// <summary>
/// A warm <see cref="RunnerPool"/> per engine. The TorchSharp pool starts its runners on demand (a TorchSharp runner
/// holds LibTorch 2.10, some 300 MiB, which a worker that never sees such a script should not pay for).
/// </summary>
public sealed class RunnerPools(RunnerLaunches launches, WorkerOptions options) : IAsyncDisposable
{
    private readonly RunnerPool _own = new(launches.Own, options.WarmRunners, options.MaxTasksPerRunner, IdleLimit(options));
    private readonly Lazy<RunnerPool?> _torchSharp = new(() => launches.TorchSharp is { } launch
        ? new RunnerPool(launch, warmRunners: 0, options.MaxTasksPerRunner, IdleLimit(options))
        : null);

    /// <summary>Starts the own engine's warm runners.</summary>
    public void Warm() => _own.Warm();

    /// <summary>The pool for the engine <paramref name="scriptSource"/> selects.</summary>
    /// <exception cref="ArgumentException">The script names an unknown engine, or one this worker cannot run.</exception>
    public RunnerPool For(string scriptSource) =>
        ReferenceEquals(launches.For(scriptSource), launches.Own) ? _own : _torchSharp.Value!;

    /// <summary>
    /// Runners that ran a task kept idle for their submitter's next tasks: by default 4, or the worker's concurrency
    /// when higher (see <see cref="WorkerOptions.IdleRunners"/>).
    /// </summary>
    private static int IdleLimit(WorkerOptions options) => options.IdleRunners ?? Math.Max(4, Math.Max(options.WarmRunners, options.Concurrency));

    public async ValueTask DisposeAsync()
    {
        await _own.DisposeAsync();
        if (_torchSharp is { IsValueCreated: true, Value: { } pool }) await pool.DisposeAsync();
    }
}
