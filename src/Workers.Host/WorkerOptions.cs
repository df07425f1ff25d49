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

    /// <summary>Compiled scripts; made private to this user (0700), since what is in it is loaded and run.</summary>
    public string ScriptCacheDirectory { get; set; } = AiPlatform.ScriptRunner.PrivateDirectory.DefaultFor("script-cache");

    /// <summary>How long to wait for the saga's answer when claiming a task.</summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
