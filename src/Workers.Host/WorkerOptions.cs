namespace AiPlatform.Workers.Host;

/// <summary>Settings under <c>Worker:</c>; every one can be set per instance, e.g. <c>Worker__Concurrency=4</c>.</summary>
public sealed class WorkerOptions
{
    /// <summary>Tasks this instance runs at once; also the queue prefetch, so extra commands stay available to other instances.</summary>
    public int Concurrency { get; set; } = 1;

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a cancelled script may take to honour its token before its process is killed.</summary>
    public TimeSpan CancelGracePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Script-runner processes kept started ahead of need.</summary>
    public int WarmRunners { get; set; } = 1;

    public int MaxTasksPerRunner { get; set; } = 100;

    /// <summary>
    /// Runners that ran a task kept idle for their submitter's next tasks (the oldest are stopped beyond it); by
    /// default 4, or the worker's concurrency when higher. Below the number of submitters taking turns, a worker starts
    /// a runner per task (Platform.Bench --submitters-cost: 4 submitters on 1 kept runner got x0.30 the throughput);
    /// each idle runner holds 40-160 MiB.
    /// </summary>
    public int? IdleRunners { get; set; }

    /// <summary>Compiled scripts; made private to this user (0700), since what is in it is loaded and run.</summary>
    public string ScriptCacheDirectory { get; set; } = AiPlatform.ScriptRunner.PrivateDirectory.DefaultFor("script-cache");

    /// <summary>
    /// The TorchSharp script runner (src/ScriptRunner.TorchSharp's program: its apphost or .dll) that runs scripts saying
    /// <c>// engine: torchsharp</c>. Unset, this worker runs only own-engine scripts and fails the others saying so.
    /// </summary>
    public string? TorchSharpRunner { get; set; }

    /// <summary>
    /// How script runners are confined: <c>auto</c> (bubblewrap when it works here, otherwise unconfined with a warning
    /// at start), <c>bubblewrap</c> (a worker that cannot confine its runners does not start) or <c>none</c>.
    /// </summary>
    public SandboxMode Sandbox { get; set; } = SandboxMode.Auto;

    /// <summary>
    /// The user a root worker's sandboxed runners run as (setpriv inside bubblewrap), so that a script keeps none of
    /// root's access to files the sandbox does not hide; eng/install-deps.sh makes this system user. A worker that is
    /// not root runs its runners as its own user, whatever this says. Empty: runners of a root worker stay root.
    /// </summary>
    public string RunnerUser { get; set; } = "aiplatform-runner";

    /// <summary>
    /// Paths a sandboxed script must not see although the worker's user can read them: secrets of the services on this
    /// machine. Settings add to these defaults (<c>Worker__SandboxHiddenPaths__0=...</c>); eng/services.sh adds its state folders.
    /// </summary>
    public List<string> SandboxHiddenPaths { get; set; } =
        ["/etc/shadow", "/etc/gshadow", "/etc/ceph", "/var/lib/ceph", "/var/lib/rabbitmq", "/var/lib/postgresql", "/etc/postgresql", "/root/.ssh"];

    /// <summary>Address of the worker's metrics and health endpoint; containers set 0.0.0.0 so probes and scrapes reach it.</summary>
    public string HttpHost { get; set; } = "127.0.0.1";

    /// <summary>Port of that endpoint; 0 picks a free one, so several workers on one machine never collide.</summary>
    public int HttpPort { get; set; }

    /// <summary>
    /// How long this worker may stay unhealthy (disconnected, an endpoint not consuming, heartbeats not going out) once
    /// the broker is reachable again, before it exits for its supervisor to replace it.
    /// </summary>
    public TimeSpan RecoveryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a starting worker may take to become healthy (with the broker reachable) before it gives up.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A publish that has neither succeeded nor failed after this long counts as failed.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a worker that gave up may take to stop before it exits regardless.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Predict requests a serve worker takes from the queue at once (its prefetch): more than a serving script's batch,
    /// so a batch gathers while the model runs the one before; the rest stay in the queue for the other replicas.
    /// </summary>
    public int PredictRequestsInFlight { get; set; } = 128;

    /// <summary>
    /// How often a serve worker asks where the aliases its services follow point, in case it missed a move's event
    /// (moves normally reach it at once).
    /// </summary>
    public TimeSpan AliasCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Cores this worker offers tasks that declare <c>resources.cpu</c>; the machine's by default.</summary>
    public double CpuCapacity { get; set; } = Environment.ProcessorCount;

    /// <summary>Memory (MiB) this worker offers tasks that declare <c>resources.memory</c>; what the runtime sees as available by default.</summary>
    public long MemoryCapacityMiB { get; set; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024);

    /// <summary>How often a memory-limited script's resident memory is checked against its limit.</summary>
    public TimeSpan MemoryWatchInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// CPU time (user and system, all threads and child processes) one task's script may use before it is stopped and
    /// the task fails saying so; null for no limit. Compiling the script counts (a source can be made costly to
    /// compile); unlike <c>timeout_seconds</c>, time spent waiting does not.
    /// </summary>
    public TimeSpan? TaskCpuTimeLimit { get; set; }

    /// <summary>
    /// Resident memory (MiB, the runner's whole process tree) a task that declares no <c>resources.memory</c> may
    /// reach before its runner is stopped and the task fails saying so; null for no limit. Unlike a declared limit it
    /// runs in a pooled runner, so the runtime's heap is not capped: only the watch holds it.
    /// </summary>
    public int? TaskMemoryLimitMiB { get; set; }

    /// <summary>How often a task is checked against the worker's own limits (<see cref="TaskCpuTimeLimit"/>, <see cref="TaskMemoryLimitMiB"/>).</summary>
    public TimeSpan WorkerLimitsWatchInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long to wait for the saga's answer when claiming a task.</summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public enum SandboxMode
{
    Auto,
    Bubblewrap,
    None,
}
