using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>
/// Consumes a worker kind's task command: claims it from the saga, then runs it. The command stays unacknowledged while
/// the task runs, so a worker that dies hands it back to the broker; the claim makes a redelivered or duplicated
/// command harmless.
/// </summary>
public sealed class RunTaskConsumer<TCommand>(
    ClaimClient claims,
    TaskExecutor executor,
    RunningTasks running,
    WorkerIdentity identity,
    IHostApplicationLifetime lifetime,
    IOptions<WorkerOptions> options,
    ILogger<RunTaskConsumer<TCommand>> logger) : IConsumer<TCommand>
    where TCommand : class, ITaskCommand
{
    public async Task Consume(ConsumeContext<TCommand> context)
    {
        var command = context.Message;
        var receivedAt = DateTimeOffset.UtcNow;
        if (running.HasEnded(command.TaskId, command.Attempt))
        {
            logger.LogInformation("Task {TaskId} attempt {Attempt} already ran here; dropping this copy (redelivered: {Redelivered})",
                command.TaskId, command.Attempt, context.ReceiveContext.Redelivered);
            return;
        }
        if (!running.TryHold(command.TaskId))
        {
            logger.LogInformation("Task {TaskId} attempt {Attempt} is already claimed or running here; ignoring this copy", command.TaskId,
                command.Attempt);
            return;
        }
        try
        {
            // A claim whose answer is late (the answer queue not consumed again yet after a broker restart), or whose send
            // hangs on a connection the restart closed, is retried by the endpoint's retry policy once the limit runs
            // out; the saga answers a repeated claim of the same worker again, so a short limit costs nothing but a message.
            if (await ClaimAsync(command, context) is { } rejected)
            {
                logger.LogInformation("Not running task {TaskId} attempt {Attempt}: {Reason}", command.TaskId, command.Attempt, rejected.Reason);
                return;
            }
            var sentAt = context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : (DateTimeOffset?)null;
            await executor.ExecuteAsync(command, new DispatchTimings(sentAt, receivedAt, DateTimeOffset.UtcNow), context,
                lifetime.ApplicationStopping);
            // A stopping worker released its attempt for another to run; it has not ended.
            if (!lifetime.ApplicationStopping.IsCancellationRequested) running.Ended(command.TaskId, command.Attempt);
        }
        finally
        {
            running.Release(command.TaskId);
        }
    }

    private async Task<TaskClaimRejected?> ClaimAsync(TCommand command, ConsumeContext context)
    {
        using var span = TaskSpans.Start("claim task", command);
        return await claims.ClaimAsync(new ClaimTask(command.TaskId, command.Attempt, identity.WorkerId), context, options.Value.ClaimTimeout,
            context.CancellationToken);
    }
}
