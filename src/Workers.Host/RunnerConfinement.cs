using System.Runtime.InteropServices;
using AiPlatform.Messages;
using AiPlatform.ScriptRunner;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AiPlatform.Workers.Host;

/// <summary>
/// How this worker starts its script runners: with an allow-listed environment, and inside the sandbox
/// <see cref="WorkerOptions.Sandbox"/> asks for when it can be had here. Whether it could is logged at start. A
/// sandboxed runner has no network: when the lake or an input is on S3, it reaches the S3 endpoint, and only that,
/// through this worker's <see cref="S3Relay"/>, which lives as long as this object. Each project's runners get that
/// project's lake as theirs, and in the sandbox no other project's folder.
/// </summary>
internal sealed class RunnerConfinement : IDisposable
{
    private readonly S3Relay? _relay;
    private readonly IConfiguration _configuration;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, string> _environment;
    private readonly Bubblewrap? _sandbox;

    public RunnerLaunches Launches { get; }

    public RunnerConfinement(IConfiguration configuration, WorkerOptions options, ILogger<RunnerConfinement> logger)
    {
        (_configuration, _options, _logger) = (configuration, options, logger);
        var environment = ScriptEnvironment(configuration);
        var sandbox = Sandbox(configuration, options, logger);
        if (sandbox is not null && configuration["S3:ServiceUrl"] is { } endpoint && ReachesS3(configuration))
        {
            // Beside the script cache, not in it: the cache is writable in the sandbox, and a script must not remove the socket.
            _relay = S3Relay.Start(Path.GetFullPath(options.ScriptCacheDirectory).TrimEnd('/') + "-relay", new Uri(endpoint), logger);
            environment["S3__Socket"] = _relay.SocketPath;
            var relayFolder = Path.GetDirectoryName(_relay.SocketPath)!;
            if (sandbox.Policy.User is { } user) RunnerAccount.GiveFolders(user, [relayFolder]);
            sandbox = sandbox with { Policy = sandbox.Policy with { Readable = [.. sandbox.Policy.Readable, relayFolder] } };
        }
        if (sandbox is not null)
            logger.LogInformation("Script runners are sandboxed by bubblewrap: as {User}, no network{Relay}, writable {Writable}",
                sandbox.Policy.User?.Name ?? "this worker's user", _relay is null ? "" : " but the S3 endpoint's relay", string.Join(", ", sandbox.Policy.Writable));
        if (CpuQuota.Controller.Problem is { } problem)
            logger.LogWarning("Tasks' declared cpu is reserved but not enforced on this worker: {Problem}", problem);
        (_environment, _sandbox) = (environment, sandbox);
        Launches = new RunnerLaunches(LaunchesOf);
    }

    /// <summary>
    /// Runners of <paramref name="project"/>: its lake is their lake root, and the only lake folder their sandbox has;
    /// on S3 they sign with the project's own keys when it has them (<c>S3:Projects:&lt;project&gt;:AccessKey</c> and
    /// <c>SecretKey</c>), which the store itself holds to the project's prefix.
    /// </summary>
    /// <exception cref="ArgumentException">The project has no S3 keys of its own and <c>S3:ProjectKeys</c> is <c>required</c>.</exception>
    private EngineLaunches LaunchesOf(string project)
    {
        var environment = new Dictionary<string, string>(_environment)
        {
            ["Lake__Root"] = ProjectNames.LakeRootOf(LakeRoot(_configuration), project),
            ["Worker__ScriptCacheDirectory"] = CacheOf(project),
        };
        var keys = _configuration.GetSection($"S3:Projects:{project}");
        if (keys["AccessKey"] is { Length: > 0 } accessKey && keys["SecretKey"] is { Length: > 0 } secretKey)
            (environment["S3__AccessKey"], environment["S3__SecretKey"], environment["S3__GrantBucketOwner"]) = (accessKey, secretKey, "true");
        else if (ReachesS3(_configuration) && string.Equals(_configuration["S3:ProjectKeys"], "required", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException(
                $"project '{project}' has no S3 keys of its own (S3:Projects:{project}:AccessKey and SecretKey), which this worker requires (S3:ProjectKeys=required)");
        var sandbox = _sandbox is null ? null : _sandbox with { Policy = ForProject(_sandbox.Policy, project) };
        return new EngineLaunches(Confine(RunnerLaunch.ForCurrentProcess(environment), sandbox),
            TorchSharpLaunch(environment, sandbox, _options, project == ProjectNames.Default ? _logger : null));
    }

    /// <summary>
    /// Each project's compiled scripts apart: a runner may write its cache, and one project's script must not plant code
    /// that another project's runner would load.
    /// </summary>
    private string CacheOf(string project) => Path.Combine(Path.GetFullPath(_options.ScriptCacheDirectory), project);

    /// <summary>
    /// The worker-wide policy narrowed to <paramref name="project"/>: its own script cache, and on a local lake its lake
    /// folder in place of the whole lake's (as written and as a default input root). The default project's lake holds
    /// the others' under <c>projects/</c>, which its runners get empty; another project's runners get the whole lake
    /// empty but their own folder.
    /// </summary>
    private SandboxPolicy ForProject(SandboxPolicy policy, string project)
    {
        var cache = Path.GetFullPath(_options.ScriptCacheDirectory);
        PrivateDirectory.Ensure(CacheOf(project));
        if (policy.User is { } user) RunnerAccount.GiveFolders(user, [CacheOf(project)]);
        policy = policy with { Writable = [.. policy.Writable.Select(path => Path.GetFullPath(path) == cache ? CacheOf(project) : path)] };
        var lakeRoot = Path.GetFullPath(LakeRoot(_configuration));
        if (IsRemote(LakeRoot(_configuration))) return policy;
        var projectLake = ProjectNames.LakeRootOf(lakeRoot, project);
        var writable = policy.Writable.Select(path => Path.GetFullPath(path) == lakeRoot ? projectLake : path).ToList();
        var readable = policy.Readable.Select(path => Path.GetFullPath(path) == lakeRoot ? projectLake : path).ToList();
        var others = Path.Combine(lakeRoot, ProjectNames.LakeFolder);
        // Made now, so a project created after this runner started is hidden from it too.
        Directory.CreateDirectory(others);
        Directory.CreateDirectory(projectLake);
        return policy with { Writable = writable, Readable = readable, Hidden = [.. policy.Hidden, project == ProjectNames.Default ? others : lakeRoot] };
    }

    private static string LakeRoot(IConfiguration configuration) => WorkerHostExtensions.LakeOptionsFrom(configuration).Root;

    private sealed record Bubblewrap(string Path, SandboxPolicy Policy);

    private static RunnerLaunch Confine(RunnerLaunch launch, Bubblewrap? sandbox) =>
        sandbox is null ? launch : RunnerSandbox.Wrap(launch, sandbox.Path, sandbox.Policy);

    /// <param name="logger">Where to say how it went; null when it was said already (for another project).</param>
    private static RunnerLaunch? TorchSharpLaunch(Dictionary<string, string> environment, Bubblewrap? sandbox, WorkerOptions options, ILogger? logger)
    {
        if (options.TorchSharpRunner is not { } program) return null;
        if (!File.Exists(program))
        {
            logger?.LogWarning("Worker:TorchSharpRunner names {Program}, which does not exist (dotnet build src/ScriptRunner.TorchSharp makes it): " +
                              "scripts on the TorchSharp engine fail on this worker", program);
            return null;
        }
        logger?.LogInformation("Scripts on the TorchSharp engine run in {Program}", program);
        return Confine(RunnerLaunch.ForProgram(Path.GetFullPath(program), environment), sandbox);
    }

    /// <summary>bubblewrap and the policy runners run under, or null when they run unconfined (as allowed, or with a warning).</summary>
    private static Bubblewrap? Sandbox(IConfiguration configuration, WorkerOptions options, ILogger logger)
    {
        if (options.Sandbox == SandboxMode.None)
        {
            logger.LogWarning("Script runners are not sandboxed (Worker:Sandbox is none): scripts reach whatever this worker's user can");
            return null;
        }
        PrivateDirectory.Ensure(options.ScriptCacheDirectory);
        var policy = Policy(configuration, options);
        var bubblewrap = RunnerSandbox.Find();
        if (bubblewrap is not null && AsRunnerUser(bubblewrap, policy, configuration, options, logger) is { } unprivileged)
            return new Bubblewrap(bubblewrap, unprivileged);
        var problem = bubblewrap is null ? "bubblewrap (bwrap) is not installed" : RunnerSandbox.Probe(bubblewrap, policy);
        if (problem is null) return new Bubblewrap(bubblewrap!, policy);
        if (options.Sandbox == SandboxMode.Bubblewrap)
            throw new InvalidOperationException($"Worker:Sandbox is bubblewrap, but script runners cannot be sandboxed here: {problem}");
        logger.LogWarning("Script runners are NOT sandboxed: {Problem}. Scripts reach whatever this worker's user can; " +
                          "install bubblewrap, or set Worker:Sandbox=none to say this is intended", problem);
        return null;
    }

    /// <summary>
    /// On a root worker, <paramref name="policy"/> for runners of <see cref="WorkerOptions.RunnerUser"/>, given the
    /// cache and the local lake; null where runners keep the worker's user (not root, or the user cannot be had: said
    /// in the log, and the cache is left, or given back, to the worker's user).
    /// </summary>
    private static SandboxPolicy? AsRunnerUser(string bubblewrap, SandboxPolicy policy, IConfiguration configuration, WorkerOptions options, ILogger logger)
    {
        var (user, problem) = RunnerAccount.Find(options);
        if (user is not null)
        {
            var unprivileged = policy with { User = user };
            problem = RunnerSandbox.Probe(bubblewrap, unprivileged);
            if (problem is null)
            {
                try
                {
                    RunnerAccount.GiveFolders(user, [options.ScriptCacheDirectory]);
                    var lakeRoot = WorkerHostExtensions.LakeOptionsFrom(configuration).Root;
                    if (!IsRemote(lakeRoot)) RunnerAccount.ShareFolder(user, lakeRoot);
                    return unprivileged;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    problem = $"{user.Name} could not be given the script cache and the lake: {e.Message}";
                }
            }
        }
        if (problem is null) return null;
        logger.LogWarning("Script runners run as root, this worker's user, keeping root's access to every file the sandbox does not hide: {Problem}", problem);
        // Runners without capabilities could not write a cache another worker gave the runner user.
        RunnerAccount.GiveFolders(RunnerAccount.Root, [options.ScriptCacheDirectory]);
        return null;
    }

    private static SandboxPolicy Policy(IConfiguration configuration, WorkerOptions options)
    {
        var lakeRoot = WorkerHostExtensions.LakeOptionsFrom(configuration).Root;
        var writable = new List<string> { options.ScriptCacheDirectory };
        if (!IsRemote(lakeRoot)) writable.Add(lakeRoot);
        // The runner's own program and runtime stay readable whatever a hidden path covers.
        var readable = SourceRootsOf(configuration).Where(r => !IsRemote(r)).Append(AppContext.BaseDirectory).Append(RuntimeEnvironment.GetRuntimeDirectory()).ToList();
        if (options.TorchSharpRunner is { } program) readable.Add(Path.GetDirectoryName(Path.GetFullPath(program))!);
        return new SandboxPolicy(writable, readable, options.SandboxHiddenPaths);
    }

    private static List<string> SourceRootsOf(IConfiguration configuration)
    {
        var configured = configuration.GetSection("Lake:SourceRoots").GetChildren().Select(c => c.Value).OfType<string>().ToList();
        return configured.Count > 0 ? configured : SourceRoots.Defaults(WorkerHostExtensions.LakeOptionsFrom(configuration).Root);
    }

    private static bool ReachesS3(IConfiguration configuration) =>
        SourceRootsOf(configuration).Append(WorkerHostExtensions.LakeOptionsFrom(configuration).Root).Any(IsRemote);

    private static bool IsRemote(string location) => location.StartsWith("s3://", StringComparison.Ordinal);

    /// <summary>
    /// What a runner child is given of the worker's settings: only the sections scripts need, no credentials of the
    /// broker or database, and no project's S3 keys (a runner gets its own project's, as the worker's).
    /// </summary>
    private static Dictionary<string, string> ScriptEnvironment(IConfiguration configuration) =>
        new[] { "Lake", "S3", "Torch", "Worker" }
            .SelectMany(section => configuration.GetSection(section).AsEnumerable(makePathsRelative: false))
            .Where(pair => pair.Value is not null && !pair.Key.StartsWith("S3:Projects:", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(pair => pair.Key.Replace(":", "__"), pair => pair.Value!);

    public void Dispose() => _relay?.Dispose();
}
