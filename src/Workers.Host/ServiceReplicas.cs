using System.Collections.Concurrent;
using AiPlatform.Messages;
using AiPlatform.ScriptRunner;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>
/// The inference services this serve worker hosts. Every serve worker hosts every running service, so each one is a
/// replica and adding a worker adds capacity. Each service runs in its own script-runner process.
/// </summary>
public sealed class ServiceReplicas(
    RunnerLaunch launch,
    RunningTasks running,
    WorkerIdentity identity,
    IBus bus,
    IOptions<WorkerOptions> options,
    ILogger<ServiceReplicas> logger) : IAsyncDisposable
{
    private static readonly TimeSpan ReplicaStartTimeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<Guid, Lazy<Task<RunnerProcess>>> _replicas = new();

    public IReadOnlyCollection<Guid> Hosted => _replicas.Keys.ToList();

    /// <summary>Starts hosting a service unless already hosting it; returns when the replica serves or has failed.</summary>
    public Task HostAsync(StartInferenceService command)
    {
        var replica = _replicas.GetOrAdd(command.TaskId, _ => new Lazy<Task<RunnerProcess>>(() => StartReplicaAsync(command)));
        return replica.Value;
    }

    public async Task<PredictReply> PredictAsync(Guid taskId, string body, CancellationToken cancellation)
    {
        if (!_replicas.TryGetValue(taskId, out var replica))
            throw new InvalidOperationException($"worker {identity.WorkerId} does not host service {taskId}");
        var runner = await replica.Value.WaitAsync(ReplicaStartTimeout, cancellation);
        return await runner.PredictAsync(body, cancellation);
    }

    private async Task<RunnerProcess> StartReplicaAsync(StartInferenceService command)
    {
        var runner = await RunnerProcess.StartAsync(launch, ReplicaStartTimeout);
        var cancellation = running.Register(command.TaskId, CancellationToken.None);
        var events = new TaskEventPump(command, identity.WorkerId, bus, options.Value.PublishTimeout);
        try
        {
            var serving = await runner.StartServingAsync(TaskExecutor.ToRunScript(command, identity.WorkerId), events,
                options.Value.CancelGracePeriod, cancellation);
            await bus.Publish(new TaskStarted(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow));
            logger.LogInformation("Serving {Service} ({TaskId}) from model {Model}", command.Name, command.TaskId, command.Model);
            _ = EndWhenStoppedAsync(command, runner, serving, events);
            return runner;
        }
        catch (Exception e)
        {
            await Forget(command.TaskId, runner, events);
            await bus.Publish(new TaskFailed(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow,
                $"service could not start on {identity.WorkerId}: {e.Message}"));
            throw;
        }
    }

    private async Task EndWhenStoppedAsync(StartInferenceService command, RunnerProcess runner, Task<ScriptOutcome> serving, TaskEventPump events)
    {
        var outcome = await serving;
        await Forget(command.TaskId, runner, events);
        var now = DateTimeOffset.UtcNow;
        object ended = outcome switch
        {
            ScriptOutcome.Cancelled c => new TaskCancelled(command.TaskId, command.Attempt, identity.WorkerId, now, c.Reason),
            ScriptOutcome.Failed f => new TaskFailed(command.TaskId, command.Attempt, identity.WorkerId, now, f.Error),
            _ => new TaskFailed(command.TaskId, command.Attempt, identity.WorkerId, now, "serving script returned instead of serving"),
        };
        await bus.Publish(ended, ended.GetType());
    }

    private async Task Forget(Guid taskId, RunnerProcess runner, TaskEventPump events)
    {
        _replicas.TryRemove(taskId, out _);
        running.Unregister(taskId);
        await events.DisposeAsync();
        await runner.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas.Values.Where(r => r.IsValueCreated))
        {
            try
            {
                (await replica.Value).Kill();
            }
            catch (Exception)
            {
                // A replica that failed to start has nothing left to stop.
            }
        }
    }
}
