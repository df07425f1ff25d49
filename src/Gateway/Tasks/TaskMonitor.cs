using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Finds tasks nobody is working on: running tasks whose worker stopped listing them in heartbeats (killed, hung,
/// partitioned), and pending tasks whose dispatch was never published; and running tasks that outlive their cancel.
/// The saga decides what happens to them.
/// </summary>
public sealed class TaskMonitor(IServiceScopeFactory scopes, IBusControl bus, IOptions<TaskOptions> options, ILogger<TaskMonitor> logger)
    : BackgroundService
{
    private sealed record LostTask(Guid Id, int Attempts, string WorkerId, DateTimeOffset LastSeenAt);

    // Heartbeats and final events sent while the gateway was down wait in its queues. Judging silence before those are
    // read would take a task that finished meanwhile for a lost one and run it again, so a fresh gateway first listens
    // for one heartbeat timeout, counted from when its bus runs (start-up itself can take longer than the timeout).
    private DateTimeOffset _listeningSince;

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
        _listeningSince = DateTimeOffset.UtcNow;
        using var timer = new PeriodicTimer(options.Value.MonitorInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Task monitor sweep failed; trying again next tick");
            }
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var now = DateTimeOffset.UtcNow;
        var silentSince = now - options.Value.HeartbeatTimeout;

        var lost = now - _listeningSince < options.Value.HeartbeatTimeout ? [] : await ListSilentTasksAsync(db, silentSince, ct);
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

    private static Task<List<LostTask>> ListSilentTasksAsync(PlatformDbContext db, DateTimeOffset silentSince, CancellationToken ct) =>
        db.Database.SqlQuery<LostTask>($"""
            SELECT t.id AS "Id", t."Attempts", t."WorkerId", COALESCE(GREATEST(h."LastSeenAt", t."ClaimedAt"), t."ClaimedAt") AS "LastSeenAt"
            FROM tasks t LEFT JOIN task_heartbeats h ON h."TaskId" = t.id
            WHERE t."CurrentState" = 'Running' AND t."Type" <> {TaskTypes.Inference} AND t."WorkerId" IS NOT NULL
              AND t."ClaimedAt" < {silentSince} AND (h."LastSeenAt" IS NULL OR h."LastSeenAt" < {silentSince})
            """).ToListAsync(ct);
}
