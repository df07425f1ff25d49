namespace AiPlatform.Gateway.Tasks;

/// <summary>Settings under <c>Tasks:</c>.</summary>
public sealed class TaskOptions
{
    /// <summary>Dispatches of one task before a lost worker fails it instead of retrying.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>A running task whose worker has not listed it in a heartbeat for this long is presumed lost.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A pending task never dispatched after this long (its submit message was lost) is dispatched again.</summary>
    public TimeSpan UndispatchedTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A running task still running this long after its cancel was requested gets the cancel again: a worker whose
    /// cancel queue was down when the first one was published must still hear it.
    /// </summary>
    public TimeSpan CancelResendInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The script an inference task runs when the request names none.</summary>
    public string DefaultInferenceScript { get; set; } = "mnist/serve.csx";
}
