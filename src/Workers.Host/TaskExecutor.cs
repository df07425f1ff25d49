using System.Diagnostics;
using AiPlatform.Messages;
using AiPlatform.ScriptRunner;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>Runs one claimed task in a script-runner process and reports how it went.</summary>
public sealed class TaskExecutor(
    RunnerPools pools,
    RunningTasks running,
    ResourceBudget budget,
    WorkerIdentity identity,
    CheckpointCleanup checkpoints,
    IOptions<WorkerOptions> options,
    ILogger<TaskExecutor> logger)
{
    public async Task ExecuteAsync(ITaskCommand command, DispatchTimings dispatch, IPublishEndpoint publisher, CancellationToken workerStopping)
    {
        using var taskScope = logger.BeginScope("task {TaskId} attempt {Attempt}", command.TaskId, command.Attempt);
        using var span = TaskSpans.Start("run task", command);
        var cancellation = running.Register(command.TaskId, workerStopping);
        // A command from before submitters were carried shares its runner with no other task.
        var owner = command.SubmittedBy ?? $"task {command.TaskId}";
        RunnerProcess? runner = null;
        RunnerPool? pool = null;
        IDisposable? reservation = null;
        CpuQuota? cpuQuota = null;
        var reusable = false;
        try
        {
            if (command.Resources is { } resources)
            {
                if (ResourceLimits.Shortfall(resources, options.Value, identity.Kind) is { } shortfall)
                {
                    await PublishFinalAsync(publisher, new TaskFailed(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow, shortfall),
                        workerStopping);
                    return;
                }
                reservation = await budget.ReserveAsync(resources, cancellation);
            }
            await PublishStartedAsync(command, dispatch, publisher);
            var declaredMemory = command.Resources?.MemoryMiB;
            var memoryLimit = declaredMemory ?? options.Value.TaskMemoryLimitMiB;
            var cpuTimeLimit = options.Value.TaskCpuTimeLimit;
            var limits = ResourceLimits.RunnerEnvironment(command.Resources);
            pool = pools.For(command.Script.Source, command.Project);
            runner = limits.Count > 0 ? await pool.StartDedicatedAsync(limits) : await pool.AcquireAsync(owner);
            // A declared cpu is a limit as well as a reservation; the runner is the task's own, so is its cgroup.
            if (command.Resources?.Cpu is { } cores)
                cpuQuota = CpuQuota.Apply(cores, $"aiplatform-runner-{runner.ProcessId}", ProcessTree.TreeOf(runner.ProcessId));
            ScriptOutcome outcome;
            // The time limit counts from the start of the script, not from the submit: queueing is not the script's fault.
            using var timeLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            if (command.TimeoutSeconds is { } seconds) timeLimit.CancelAfter(TimeSpan.FromSeconds(seconds));
            var watch = memoryLimit is not null || cpuTimeLimit is not null
                ? new RunnerWatch(runner, memoryLimit, cpuTimeLimit, declaredMemory is null ? options.Value.WorkerLimitsWatchInterval : options.Value.MemoryWatchInterval)
                : null;
            await using (watch)
            await using (var events = new TaskEventPump(command, identity.WorkerId, publisher, options.Value.PublishTimeout))
                outcome = await runner.RunAsync(ToRunScript(command), events, options.Value.CancelGracePeriod, timeLimit.Token);
            outcome = HeldToLimits(outcome, declaredMemory, watch?.Exceeded);
            // A runner started for one task's limits is never pooled.
            reusable = outcome is not ScriptOutcome.Cancelled && limits.Count == 0;
            if (outcome is ScriptOutcome.Cancelled && !cancellation.IsCancellationRequested && timeLimit.IsCancellationRequested)
                outcome = new ScriptOutcome.Failed($"timed out after {command.TimeoutSeconds} s");
            logger.LogInformation("Task {TaskId} attempt {Attempt} ended: {Outcome}", command.TaskId, command.Attempt, outcome.GetType().Name);
            TaskSpans.End(span, outcome);
            var final = FinalEvent(command, outcome, workerStopping.IsCancellationRequested);
            await PublishFinalAsync(publisher, final, workerStopping);
            // Off the task's path: on S3 it is a listing, and the next task need not wait for it.
            if (final is not TaskReleased) _ = checkpoints.RemoveAsync(command.TaskId, command.Project);
        }
        catch (Exception e) when (!workerStopping.IsCancellationRequested)
        {
            logger.LogError(e, "Task {TaskId} could not be run", command.TaskId);
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            await PublishFinalAsync(publisher, new TaskFailed(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow,
                $"worker {identity.WorkerId} could not run the script: {e.Message}"), workerStopping);
            _ = checkpoints.RemoveAsync(command.TaskId, command.Project);
        }
        finally
        {
            running.Unregister(command.TaskId);
            if (runner is not null) await pool!.ReleaseAsync(runner, owner, reusable);
            if (cpuQuota is not null) await cpuQuota.DisposeAsync();
            reservation?.Dispose();
        }
    }

    /// <summary>A script that went over a limit fails saying so, whichever guard caught it (the watch, or the heap limit of a declared memory).</summary>
    private static ScriptOutcome HeldToLimits(ScriptOutcome outcome, int? declaredMemoryMiB, string? exceeded) => outcome switch
    {
        _ when exceeded is not null => new ScriptOutcome.Failed(exceeded),
        ScriptOutcome.Failed failed when declaredMemoryMiB is { } limit && failed.Error.Contains(nameof(OutOfMemoryException), StringComparison.Ordinal) =>
            new ScriptOutcome.Failed(ResourceLimits.MemoryExceeded(limit, $"the script's managed heap is capped at the limit: {failed.Error}")),
        _ => outcome,
    };

    /// <summary>Advisory: the claim has already marked the task running, so a broker hiccup here must not fail the task.</summary>
    private async Task PublishStartedAsync(ITaskCommand command, DispatchTimings dispatch, IPublishEndpoint publisher)
    {
        try
        {
            await publisher.PublishWithin(new TaskStarted(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow, dispatch),
                options.Value.PublishTimeout);
        }
        catch (Exception e)
        {
            logger.LogWarning("TaskStarted for task {TaskId} not published ({Error}); running it anyway", command.TaskId, e.Message);
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

    /// <summary>
    /// The final event is what ends the task, so it is retried through a broker outage of any length instead of being
    /// dropped, and often (every <see cref="MaxFinalRetryDelay"/> at most): it must reach the saga soon after the broker
    /// is back, before the task's silence is taken for a lost worker and the task run again. The task stays in this
    /// worker's heartbeats meanwhile. Only a worker that is stopping gives up, after a few tries: its command returns to
    /// the queue and the claim decides what runs next.
    /// </summary>
    private async Task PublishFinalAsync(IPublishEndpoint publisher, object message, CancellationToken workerStopping)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await publisher.PublishWithin(message, options.Value.PublishTimeout);
                return;
            }
            catch (Exception e) when (!workerStopping.IsCancellationRequested || attempt < 5)
            {
                if (attempt == 1 || attempt % 10 == 0)
                    logger.LogWarning("Publishing {Event} for task failed (attempt {Attempt}): {Error}; retrying", message.GetType().Name, attempt, e.Message);
                await Task.Delay(delay, CancellationToken.None);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxFinalRetryDelay.Ticks));
            }
        }
    }

    private static readonly TimeSpan MaxFinalRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The runner's spans join the task's trace under the current span (see <see cref="RunnerSpans"/>).</summary>
    internal static RunScript ToRunScript(ITaskCommand command, string workerId) =>
        new(command.TaskId, command.Name, command.Attempt, workerId, command.Script.Path, command.Script.Sha256, command.Script.Source,
            command.Input, command.Output, command.ParamsJson, Serve: false, Model: (command as RunTraining)?.Model,
            TraceParent: RunnerSpans.ParentForRunner());

    private RunScript ToRunScript(ITaskCommand command) => ToRunScript(command, identity.WorkerId);
}
