using System.Collections.Concurrent;
using AiPlatform.Messages;
using AiPlatform.ScriptRunner;

namespace AiPlatform.Workers.Host;

/// <summary>How this worker starts a runner for each script engine; <c>TorchSharp</c> is null on a worker without its runner.</summary>
public sealed record EngineLaunches(RunnerLaunch Own, RunnerLaunch? TorchSharp)
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
/// Each project's launches: a runner sees its project's lake only (and, in the sandbox, only that lake's folder), so a
/// runner started for one project never runs another's task.
/// </summary>
public sealed class RunnerLaunches(Func<string, EngineLaunches> launchesOf)
{
    private readonly ConcurrentDictionary<string, EngineLaunches> _projects = new();

    public EngineLaunches Of(string project) => _projects.GetOrAdd(project, launchesOf);

    /// <inheritdoc cref="EngineLaunches.For"/>
    public RunnerLaunch For(string scriptSource, string project) => Of(project).For(scriptSource);
}

/// <summary>
/// A warm <see cref="RunnerPool"/> per engine and project. Only the default project's own engine keeps runners warm
/// before any task; the others, and the TorchSharp pools, start runners on demand (a TorchSharp runner holds LibTorch
/// 2.10, some 300 MiB, which a worker that never sees such a script should not pay for).
/// </summary>
public sealed class RunnerPools(RunnerLaunches launches, WorkerOptions options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Project, bool TorchSharp), Lazy<RunnerPool>> _pools = new();

    /// <summary>Starts the default project's own-engine warm runners.</summary>
    public void Warm() => Pool(ProjectNames.Default, torchSharp: false).Warm();

    /// <summary>The pool for <paramref name="project"/> and the engine <paramref name="scriptSource"/> selects.</summary>
    /// <exception cref="ArgumentException">The script names an unknown engine, or one this worker cannot run.</exception>
    public RunnerPool For(string scriptSource, string project)
    {
        var engines = launches.Of(project);
        return Pool(project, torchSharp: !ReferenceEquals(engines.For(scriptSource), engines.Own));
    }

    private RunnerPool Pool(string project, bool torchSharp) => _pools.GetOrAdd((project, torchSharp), key => new Lazy<RunnerPool>(() =>
    {
        var engines = launches.Of(key.Project);
        var warm = !key.TorchSharp && key.Project == ProjectNames.Default ? options.WarmRunners : 0;
        return new RunnerPool(key.TorchSharp ? engines.TorchSharp! : engines.Own, warm, options.MaxTasksPerRunner, IdleLimit(options));
    })).Value;

    /// <summary>
    /// Runners that ran a task kept idle for their submitter's next tasks: by default 4, or the worker's concurrency
    /// when higher (see <see cref="WorkerOptions.IdleRunners"/>).
    /// </summary>
    private static int IdleLimit(WorkerOptions options) => options.IdleRunners ?? Math.Max(4, Math.Max(options.WarmRunners, options.Concurrency));

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools.Values.Where(p => p.IsValueCreated)) await pool.Value.DisposeAsync();
    }
}
