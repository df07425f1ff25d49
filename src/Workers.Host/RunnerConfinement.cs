using System.Runtime.InteropServices;
using AiPlatform.ScriptRunner;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AiPlatform.Workers.Host;

/// <summary>
/// How this worker starts its script runners: with an allow-listed environment, and inside the sandbox
/// <see cref="WorkerOptions.Sandbox"/> asks for when it can be had here. Whether it could is logged at start.
/// </summary>
internal static class RunnerConfinement
{
    public static RunnerLaunches Launches(IConfiguration configuration, WorkerOptions options, ILogger logger)
    {
        var environment = ScriptEnvironment(configuration);
        var own = Confine(RunnerLaunch.ForCurrentProcess(environment), configuration, options, logger);
        if (options.TorchSharpRunner is not { } program) return new RunnerLaunches(own, null);
        if (!File.Exists(program))
        {
            logger.LogWarning("Worker:TorchSharpRunner names {Program}, which does not exist (dotnet build src/ScriptRunner.TorchSharp makes it): " +
                              "scripts on the TorchSharp engine fail on this worker", program);
            return new RunnerLaunches(own, null);
        }
        var torchSharp = Confine(RunnerLaunch.ForProgram(Path.GetFullPath(program), environment), configuration, options, logger);
        logger.LogInformation("Scripts on the TorchSharp engine run in {Program}", program);
        return new RunnerLaunches(own, torchSharp);
    }

    private static RunnerLaunch Confine(RunnerLaunch launch, IConfiguration configuration, WorkerOptions options, ILogger logger)
    {
        if (options.Sandbox == SandboxMode.None)
        {
            logger.LogWarning("Script runners are not sandboxed (Worker:Sandbox is none): scripts reach whatever this worker's user can");
            return launch;
        }
        PrivateDirectory.Ensure(options.ScriptCacheDirectory);
        var policy = Policy(configuration, options);
        var bubblewrap = RunnerSandbox.Find();
        var problem = bubblewrap is null ? "bubblewrap (bwrap) is not installed" : RunnerSandbox.Probe(bubblewrap, policy);
        if (problem is null)
        {
            logger.LogInformation("Script runners are sandboxed by bubblewrap: network {Network}, writable {Writable}",
                policy.Network ? "on (the lake or an input is remote)" : "off", string.Join(", ", policy.Writable));
            return RunnerSandbox.Wrap(launch, bubblewrap!, policy);
        }
        if (options.Sandbox == SandboxMode.Bubblewrap)
            throw new InvalidOperationException($"Worker:Sandbox is bubblewrap, but script runners cannot be sandboxed here: {problem}");
        logger.LogWarning("Script runners are NOT sandboxed: {Problem}. Scripts reach whatever this worker's user can; " +
                          "install bubblewrap, or set Worker:Sandbox=none to say this is intended", problem);
        return launch;
    }

    private static SandboxPolicy Policy(IConfiguration configuration, WorkerOptions options)
    {
        var lakeRoot = WorkerHostExtensions.LakeOptionsFrom(configuration).Root;
        var sourceRoots = configuration.GetSection("Lake:SourceRoots").GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (sourceRoots.Count == 0) sourceRoots = SourceRoots.Defaults(lakeRoot);
        var remote = sourceRoots.Append(lakeRoot).Where(IsRemote).ToList();
        var writable = new List<string> { options.ScriptCacheDirectory };
        if (!IsRemote(lakeRoot)) writable.Add(lakeRoot);
        // The runner's own program and runtime stay readable whatever a hidden path covers.
        var readable = sourceRoots.Where(r => !IsRemote(r)).Append(AppContext.BaseDirectory).Append(RuntimeEnvironment.GetRuntimeDirectory()).ToList();
        if (options.TorchSharpRunner is { } program) readable.Add(Path.GetDirectoryName(Path.GetFullPath(program))!);
        return new SandboxPolicy(writable, readable, options.SandboxHiddenPaths, Network: remote.Count > 0);
    }

    private static bool IsRemote(string location) => location.StartsWith("s3://", StringComparison.Ordinal);

    /// <summary>What a runner child is given of the worker's settings: only the sections scripts need, no credentials of the broker or database.</summary>
    private static Dictionary<string, string> ScriptEnvironment(IConfiguration configuration) =>
        new[] { "Lake", "S3", "Torch", "Worker" }
            .SelectMany(section => configuration.GetSection(section).AsEnumerable(makePathsRelative: false))
            .Where(pair => pair.Value is not null)
            .ToDictionary(pair => pair.Key.Replace(":", "__"), pair => pair.Value!);
}
