using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// A worker's claim of a task's attempt, answered with one conditional update instead of a saga transaction (load the
/// row, run the state machine, save it back): the claim is on every task's path to its script, and the saga's
/// repository spent most of the claim's time. The rules are the task saga's: a pending task's current attempt is
/// claimed once; the same worker claiming it again (it never got the first answer) is told yes again; anything else
/// is refused saying why. The update changes the row version, so a saga transaction that read the row before replays
/// on the new state; and claims share the saga's queue and partitions, so one task's claim and events are handled one
/// at a time.
/// </summary>
public sealed class ClaimTaskConsumer(PlatformDbContext db) : IConsumer<ClaimTask>
{
    public async Task Consume(ConsumeContext<ClaimTask> context)
    {
        var claim = context.Message;
        var now = DateTimeOffset.UtcNow;
        var claimed = await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE tasks SET "CurrentState" = {TaskStatuses.RunningState}, "WorkerId" = {claim.WorkerId}, "WaitingReason" = NULL,
                "ClaimedAt" = {now}, "StartedAt" = COALESCE("StartedAt", {now})
            WHERE id = {claim.TaskId} AND "CurrentState" = {TaskStatuses.PendingState} AND "Attempts" = {claim.Attempt}
            """, context.CancellationToken);
        if (claimed == 1)
        {
            await context.RespondAsync(new TaskClaimed(claim.TaskId, claim.Attempt));
            return;
        }
        var task = await db.Tasks.IgnoreQueryFilters().AsNoTracking()
            .Where(t => t.CorrelationId == claim.TaskId)
            .Select(t => new { t.CurrentState, t.Attempts, t.WorkerId })
            .SingleOrDefaultAsync(context.CancellationToken);
        if (task is null)
            await context.RespondAsync(new TaskClaimRejected(claim.TaskId, claim.Attempt, "unknown task"));
        else if (task.CurrentState == TaskStatuses.RunningState && task.Attempts == claim.Attempt && task.WorkerId == claim.WorkerId)
            await context.RespondAsync(new TaskClaimed(claim.TaskId, claim.Attempt));
        else
            await context.RespondAsync(new TaskClaimRejected(claim.TaskId, claim.Attempt,
                task.CurrentState == TaskStatuses.PendingState || claim.Attempt != task.Attempts
                    ? $"attempt {claim.Attempt} is stale (current attempt {task.Attempts})"
                    : $"task is already {TaskStatuses.ToStatus(task.CurrentState)}"));
    }
}
