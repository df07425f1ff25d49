using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AiPlatform.Workers.Host;

/// <summary>
/// Consumes a worker kind's task command: claims it from the saga, then runs it. The command stays unacknowledged while
/// the task runs, so a worker that dies hands it back to the broker; the claim makes a redelivered or duplicated
/// command harmless.
/// </summary>
public sealed class RunTaskConsumer<TCommand>(
    IRequestClient<ClaimTask> claims,
    TaskExecutor executor,
    RunningTasks running,
    WorkerIdentity identity,
    IHostApplicationLifetime lifetime,
    ILogger<RunTaskConsumer<TCommand>> logger) : IConsumer<TCommand>
    where TCommand : class, ITaskCommand
{
    public async Task Consume(ConsumeContext<TCommand> context)
    {
        var command = context.Message;
        // A command redelivered to the worker already running it (its channel closed mid-task): the run goes on, and
        // a second claim would be taken for a lost answer and run it twice.
        if (running.IsRunning(command.TaskId))
        {
            logger.LogInformation("Task {TaskId} attempt {Attempt} is already running here; ignoring its redelivery", command.TaskId, command.Attempt);
            return;
        }
        var response = await claims.GetResponse<TaskClaimed, TaskClaimRejected>(
            new ClaimTask(command.TaskId, command.Attempt, identity.WorkerId), context.CancellationToken);
        if (response.Is(out Response<TaskClaimRejected>? rejected))
        {
            logger.LogInformation("Not running task {TaskId} attempt {Attempt}: {Reason}", command.TaskId, command.Attempt,
                rejected.Message.Reason);
            return;
        }
        await executor.ExecuteAsync(command, context, lifetime.ApplicationStopping);
    }
}
