using AiPlatform.Messages;
using AiPlatform.ScriptRunner;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>Runs one claimed task in a script-runner process and reports how it went.</summary>
public sealed class TaskExecutor(
    RunnerPool pool,
    RunningTasks running,
    WorkerIdentity identity,
    IOptions<WorkerOptions> options,
    ILogger<TaskExecutor> logger)
{
    public async Task ExecuteAsync(ITaskCommand command, IPublishEndpoint publisher, CancellationToken workerStopping)
    {
        using var taskScope = logger.BeginScope("task {TaskId} attempt {Attempt}", command.TaskId, command.Attempt);
        var cancellation = running.Register(command.TaskId, workerStopping);
        RunnerProcess? runner = null;
        var reusable = false;
        try
        {
            await publisher.Publish(new TaskStarted(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow));
            runner = await pool.AcquireAsync();
            ScriptOutcome outcome;
            await using (var events = new TaskEventPump(command, identity.WorkerId, publisher))
                outcome = await runner.RunAsync(ToRunScript(command), events, options.Value.CancelGracePeriod, cancellation);
            reusable = outcome is not ScriptOutcome.Cancelled;
            logger.LogInformation("Task {TaskId} attempt {Attempt} ended: {Outcome}", command.TaskId, command.Attempt, outcome.GetType().Name);
            await PublishFinalAsync(publisher, FinalEvent(command, outcome, workerStopping.IsCancellationRequested));
        }
        catch (Exception e) when (!workerStopping.IsCancellationRequested)
        {
            logger.LogError(e, "Task {TaskId} could not be run", command.TaskId);
            await PublishFinalAsync(publisher, new TaskFailed(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow,
                $"worker {identity.WorkerId} could not run the script: {e.Message}"));
        }
        finally
        {
            running.Unregister(command.TaskId);
            if (runner is not null) await pool.ReleaseAsync(runner, reusable);
        }
    }

    private object FinalEvent(ITaskCommand command, ScriptOutcome outcome, bool workerStopping)
    {
        var now = DateTimeOffset.UtcNow;
        return outcome switch
        {
            ScriptOutcome.Completed c => new TaskCompleted(command.TaskId, command.Attempt, identity.WorkerId, now, c.ResultJson),
            ScriptOutcome.Failed f => new TaskFailed(command.TaskId, command.Attempt, identity.WorkerId, now, f.Error),
            ScriptOutcome.Cancelled when workerStopping =>
                new TaskReleased(command.TaskId, command.Attempt, identity.WorkerId, now, $"worker {identity.WorkerId} is shutting down"),
            ScriptOutcome.Cancelled c => new TaskCancelled(command.TaskId, command.Attempt, identity.WorkerId, now, c.Reason),
            _ => throw new InvalidOperationException($"unknown outcome {outcome}"),
        };
    }

    /// <summary>The final event is what ends the task, so it is retried through a broker outage instead of being dropped.</summary>
    private async Task PublishFinalAsync(IPublishEndpoint publisher, object message)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await publisher.Publish(message, message.GetType());
                return;
            }
            catch (Exception e) when (attempt < 12)
            {
                logger.LogWarning(e, "Publishing {Event} failed (attempt {Attempt}); retrying", message.GetType().Name, attempt);
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(20).Ticks));
            }
        }
    }

    internal static RunScript ToRunScript(ITaskCommand command, string workerId) =>
        new(command.TaskId, command.Name, command.Attempt, workerId, command.Script.Path, command.Script.Sha256, command.Script.Source,
            command.Input, command.Output, command.ParamsJson, Serve: false);

    private RunScript ToRunScript(ITaskCommand command) => ToRunScript(command, identity.WorkerId);
}
