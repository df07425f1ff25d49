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
public sealed class TaskMonitor(IServiceScopeFactory scopes, IBus bus, IOptions<TaskOptions> options, ILogger<TaskMonitor> logger)
    : BackgroundService
{
    private sealed record LostTask(Guid Id, int Attempts, string WorkerId, DateTimeOffset LastSeenAt);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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

        var lost = await db.Database.SqlQuery<LostTask>($"""
            SELECT t.id AS "Id", t."Attempts", t."WorkerId", COALESCE(GREATEST(h."LastSeenAt", t."ClaimedAt"), t."ClaimedAt") AS "LastSeenAt"
            FROM tasks t LEFT JOIN task_heartbeats h ON h."TaskId" = t.id
            WHERE t."CurrentState" = 'Running' AND t."Type" <> {TaskTypes.Inference} AND t."WorkerId" IS NOT NULL
              AND t."ClaimedAt" < {silentSince} AND (h."LastSeenAt" IS NULL OR h."LastSeenAt" < {silentSince})
            """).ToListAsync(ct);
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
}
