namespace AiPlatform.Gateway.Tasks;

/// <summary>Settings under <c>Tasks:</c>.</summary>
public sealed class TaskOptions
{
    /// <summary>Dispatches of one task before a lost worker fails it instead of retrying.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>A running task whose worker has not listed it in a heartbeat for this long is presumed lost.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After the gateway's link to the broker comes back, how long it waits before judging any task's silence: the
    /// workers reconnect on their own back-off (MassTransit's, up to 30 s apart) and only then report the tasks that
    /// ended meanwhile. A worker that cannot reconnect gives up after its <c>Worker:RecoveryTimeout</c> (60 s by default),
    /// so this is that long too.
    /// </summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the checkpoints of tasks that ended without their worker (lost, cancelled meanwhile) are looked for.</summary>
    public TimeSpan CheckpointSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A pending task whose command was sent this long ago, never claimed, and not in its queue (the broker was away at
    /// the send) gets its command again.
    /// </summary>
    public TimeSpan UndispatchedTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a submit waits for the broker to take the new task's command before leaving it to the task monitor.</summary>
    public TimeSpan SubmitSendTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A running task still running this long after its cancel was requested gets the cancel again: a worker whose
    /// cancel queue was down when the first one was published must still hear it.
    /// </summary>
    public TimeSpan CancelResendInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The time limit of an attempt when the request gives none, per task type; inference services have none.</summary>
    public Dictionary<string, int> DefaultTimeoutSeconds { get; set; } = new()
    {
        [AiPlatform.Messages.TaskTypes.Ingestion] = 2 * 3600,
        [AiPlatform.Messages.TaskTypes.Training] = 24 * 3600,
    };

    /// <summary>
    /// A dispatched task still pending after this long, on a queue no worker consumes, says so in its status; after
    /// <see cref="UndispatchableFailAfter"/> (when set) it fails instead of waiting on.
    /// </summary>
    public TimeSpan NoConsumerReportAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Null (the default) leaves such a task pending, visibly, until a worker of its kind comes.</summary>
    public TimeSpan? UndispatchableFailAfter { get; set; }

    /// <summary>The script an inference task runs when the request names none.</summary>
    public string DefaultInferenceScript { get; set; } = "mnist/serve.csx";
}
