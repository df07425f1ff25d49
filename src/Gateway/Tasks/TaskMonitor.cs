using AiPlatform.Gateway.Monitoring;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Finds tasks nobody is working on: running tasks whose worker stopped listing them in heartbeats (killed, hung,
/// partitioned), pending tasks whose command or TaskSubmitted never reached the broker, pending tasks no worker is there
/// to take, and running tasks that outlive their cancel. The saga decides what happens to them.
/// </summary>
public sealed class TaskMonitor(
    IServiceScopeFactory scopes,
    IBusControl bus,
    QueueMonitor queues,
    IOptions<TaskOptions> options,
    ILogger<TaskMonitor> logger) : BackgroundService
{
    private sealed record LostTask(Guid Id, int Attempts, string WorkerId, DateTimeOffset LastSeenAt);

    // Heartbeats and final events sent while the gateway was down, or while the broker was, wait in queues or in the
    // workers' retries. Judging silence before those are read would take a task that finished meanwhile for a lost one
    // and run it again, so silence only counts once the gateway has listened on a healthy bus for a while: one heartbeat
    // timeout from when the bus runs (start-up itself can take longer than the timeout) and from when the task store
    // (where heartbeats are kept) is back; after the bus itself was cut off, the longer reconnect grace, since every worker
    // reconnects on its own schedule (MassTransit retries a broken link with a back-off of up to 30 s), possibly long
    // after this gateway.
    private DateTimeOffset _judgeSilenceFrom;

    private void ListenAgain(TimeSpan grace) =>
        _judgeSilenceFrom = DateTimeOffset.UtcNow + (grace > options.Value.HeartbeatTimeout ? grace : options.Value.HeartbeatTimeout);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromMinutes(1));
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "The bus did not report healthy within a minute; the task monitor starts anyway");
        }
        ListenAgain(options.Value.HeartbeatTimeout);
        // The queues workers speak to were ready before this point: one that becomes ready again has just reconnected,
        // and whatever waited during the outage is yet to come.
        var reconnects = bus.ConnectReceiveEndpointObserver(new ReadyObserver(address =>
        {
            if (IsListened(address.ToString())) ListenAgain(options.Value.ReconnectGrace);
        }));
        try
        {
            using var timer = new PeriodicTimer(options.Value.MonitorInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested && DatabaseOutage.IsOutage(e))
                {
                    // No heartbeat could be stored meanwhile either: silence counts again only from when it is back.
                    ListenAgain(options.Value.HeartbeatTimeout);
                    logger.LogWarning("The task store is unreachable ({Reason}); the task monitor waits for it", e.GetBaseException().Message);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Task monitor sweep failed; trying again next tick");
                }
            }
        }
        finally
        {
            reconnects.Disconnect();
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var now = DateTimeOffset.UtcNow;
        var silentSince = now - options.Value.HeartbeatTimeout;

        if (!HearsWorkers()) ListenAgain(options.Value.ReconnectGrace);
        var lost = now < _judgeSilenceFrom ? [] : await ListSilentTasksAsync(db, silentSince, ct);
        foreach (var task in lost)
        {
            logger.LogWarning("Task {TaskId} attempt {Attempt} on {WorkerId} silent since {LastSeen}", task.Id, task.Attempts, task.WorkerId,
                task.LastSeenAt);
            await bus.Publish(new TaskHeartbeatLost(task.Id, task.Attempts, task.WorkerId, now - task.LastSeenAt), ct);
        }

        var undispatchedBefore = now - options.Value.UndispatchedTimeout;
        var undispatched = await db.Tasks.AsNoTracking()
            .Where(t => t.CurrentState == TaskStatuses.PendingState && t.Attempts == 0 && t.CreatedAt < undispatchedBefore)
            .Select(t => t.CorrelationId).Take(500).ToListAsync(ct);
        foreach (var id in undispatched) await bus.Publish(new TaskSubmitted(id), ct);

        var queueViews = await ReadQueuesAsync(ct);
        await ResendLostCommandsAsync(db, queueViews, undispatchedBefore, ct);
        await ReportUnconsumedWorkAsync(db, queueViews, now, ct);

        var cancelledBefore = now - options.Value.CancelResendInterval;
        var unheeded = await db.Tasks.AsNoTracking()
            .Where(t => t.CurrentState == TaskStatuses.RunningState && t.CancelRequestedAt < cancelledBefore)
            .Select(t => t.CorrelationId).Take(500).ToListAsync(ct);
        foreach (var id in unheeded)
        {
            logger.LogWarning("Task {TaskId} is still running after its cancel; cancelling it again", id);
            await bus.Publish(new CancelTask(id, "cancel repeated: the task outlived the first one"), ct);
        }
    }

    /// <summary>RabbitMQ's view of the queues, or null when it cannot be had (no management API configured, or the broker away).</summary>
    private async Task<Dictionary<string, QueueView>?> ReadQueuesAsync(CancellationToken ct)
    {
        try
        {
            var views = await queues.GetQueuesAsync(ct);
            return views.Count == 0 ? null : views.ToDictionary(q => q.Name);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>
    /// A command sent while the broker was away never reached its queue. Its task is pending and unclaimed long after the
    /// send, and its queue holds no ready message: the command is sent again. Without RabbitMQ's figures nothing is
    /// resent, since a long queue would otherwise fill with copies (a copy is harmless to run: the claim admits one).
    /// </summary>
    private async Task ResendLostCommandsAsync(PlatformDbContext db, Dictionary<string, QueueView>? queueViews, DateTimeOffset sentBefore,
        CancellationToken ct)
    {
        if (queueViews is null) return;
        var unclaimed = await db.Tasks.AsNoTracking()
            .Where(t => t.CurrentState == TaskStatuses.PendingState && t.Attempts > 0 && t.WorkerId == null && t.DispatchedAt < sentBefore)
            .OrderBy(t => t.DispatchedAt).Take(500).ToListAsync(ct);
        foreach (var task in unclaimed)
        {
            // A queue RabbitMQ does not list was never declared: the send that would have declared it failed.
            if (TaskCommands.QueueFor(task.Type) is not { } queue || (queueViews.TryGetValue(queue, out var view) && view.Ready > 0)) continue;
            var now = DateTimeOffset.UtcNow;
            var stillUnclaimed = await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE tasks SET "DispatchedAt" = {now}
                WHERE id = {task.CorrelationId} AND "CurrentState" = {TaskStatuses.PendingState} AND "Attempts" = {task.Attempts} AND "WorkerId" IS NULL
                """, ct);
            if (stillUnclaimed == 0) continue;
            logger.LogWarning("Task {TaskId} attempt {Attempt} was sent at {SentAt} but is neither claimed nor queued; sending it again",
                task.CorrelationId, task.Attempts, task.DispatchedAt);
            await TaskCommands.SendAsync(bus, task, ct);
        }
    }

    /// <summary>
    /// A dispatched task that waits on a queue nobody consumes says so in its status instead of a silent "pending", and
    /// by policy fails after a while. Consumers are counted by RabbitMQ where its management API is configured (a
    /// worker alive but deaf does not count), otherwise by live heartbeats.
    /// </summary>
    private async Task ReportUnconsumedWorkAsync(PlatformDbContext db, Dictionary<string, QueueView>? queueViews, DateTimeOffset now,
        CancellationToken ct)
    {
        var reportBefore = now - options.Value.NoConsumerReportAfter;
        var waiting = await db.Tasks.AsNoTracking()
            .Where(t => t.CurrentState == TaskStatuses.PendingState && t.Attempts > 0 && t.CreatedAt < reportBefore)
            .Select(t => new { t.CorrelationId, t.Type, t.CreatedAt, t.WaitingReason })
            .Take(1000).ToListAsync(ct);
        if (waiting.Count == 0) return;

        // Without RabbitMQ's figures, heartbeats decide.
        var queueConsumers = queueViews?.ToDictionary(q => q.Key, q => q.Value.Consumers) ?? [];
        var liveSince = now - options.Value.HeartbeatTimeout;
        var liveWorkers = await db.Workers.AsNoTracking().Where(w => w.StoppedAt == null && w.LastHeartbeatAt > liveSince)
            .GroupBy(w => w.Kind).Select(g => new { Kind = g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Kind, g => g.Count, ct);

        foreach (var group in waiting.GroupBy(t => t.Type))
        {
            var queue = TaskCommands.QueueFor(group.Key);
            var kind = group.Key switch
            {
                TaskTypes.Ingestion => WorkerKinds.Ingest,
                TaskTypes.Training => WorkerKinds.Train,
                _ => WorkerKinds.Serve,
            };
            var consumers = queue is not null && queueConsumers.TryGetValue(queue, out var n) ? n : liveWorkers.GetValueOrDefault(kind);
            var reason = consumers > 0 ? null
                : queue is null ? $"no {kind} worker is running to host this service; it starts when one does"
                : $"no {kind} worker is consuming the queue '{queue}'; the task waits until one does";

            var changed = group.Where(t => t.WaitingReason != reason).Select(t => t.CorrelationId).ToArray();
            if (changed.Length > 0)
            {
                if (reason is not null) logger.LogWarning("{Count} {Type} task(s) waiting: {Reason}", changed.Length, group.Key, reason);
                await db.Database.ExecuteSqlInterpolatedAsync(
                    $"""UPDATE tasks SET "WaitingReason" = {reason} WHERE id = ANY({changed}) AND "CurrentState" = {TaskStatuses.PendingState}""", ct);
            }

            if (reason is null || options.Value.UndispatchableFailAfter is not { } failAfter) continue;
            foreach (var task in group.Where(t => t.CreatedAt < now - failAfter))
                await bus.Publish(new TaskUndispatchable(task.CorrelationId,
                    $"{reason}; gave up after {failAfter.TotalSeconds:0} s (Tasks:UndispatchableFailAfter)"), ct);
        }
    }

    /// <summary>Whether the endpoints that bring heartbeats, task events and the saga's input are consuming.</summary>
    private bool HearsWorkers()
    {
        var health = bus.CheckHealth();
        if (health.Status != BusHealthStatus.Degraded) return health.Status == BusHealthStatus.Healthy;
        // Degraded: some endpoint is not consuming, and only these matter here (a stuck temporary endpoint must not
        // stop the monitor from ever judging).
        return health.Endpoints.Where(e => IsListened(e.Key)).All(e => e.Value.Status == BusHealthStatus.Healthy);
    }

    private static bool IsListened(string endpointAddress) => ListenedQueues.Any(q => endpointAddress.Contains('/' + q, StringComparison.Ordinal));

    private static readonly string[] ListenedQueues = [QueueNames.WorkerHeartbeats, QueueNames.TaskEvents, QueueNames.TaskSaga];

    private sealed class ReadyObserver(Action<Uri> ready) : IReceiveEndpointObserver
    {
        public Task Ready(ReceiveEndpointReady endpoint)
        {
            ready(endpoint.InputAddress);
            return Task.CompletedTask;
        }

        public Task Stopping(ReceiveEndpointStopping endpoint) => Task.CompletedTask;
        public Task Completed(ReceiveEndpointCompleted endpoint) => Task.CompletedTask;
        public Task Faulted(ReceiveEndpointFaulted endpoint) => Task.CompletedTask;
    }

    private static Task<List<LostTask>> ListSilentTasksAsync(PlatformDbContext db, DateTimeOffset silentSince, CancellationToken ct) =>
        db.Database.SqlQuery<LostTask>($"""
            SELECT t.id AS "Id", t."Attempts", t."WorkerId", COALESCE(GREATEST(h."LastSeenAt", t."ClaimedAt"), t."ClaimedAt") AS "LastSeenAt"
            FROM tasks t LEFT JOIN task_heartbeats h ON h."TaskId" = t.id
            WHERE t."CurrentState" = 'Running' AND t."Type" <> {TaskTypes.Inference} AND t."WorkerId" IS NOT NULL
              AND t."ClaimedAt" < {silentSince} AND (h."LastSeenAt" IS NULL OR h."LastSeenAt" < {silentSince})
            """).ToListAsync(ct);
}
