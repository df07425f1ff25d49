using System.Collections.Concurrent;
using AiPlatform.Messages;
using AiPlatform.ScriptRunner;
using AiPlatform.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>
/// The inference services this serve worker hosts. Every serve worker hosts every running service, so each one is a
/// replica and adding a worker adds capacity. Each service runs in its own script-runner process. A service started on
/// an alias (<c>fashion-cnn@production</c>) serves the version the alias points at and swaps when it moves.
/// </summary>
public sealed class ServiceReplicas(
    RunnerLaunches launches,
    RunningTasks running,
    WorkerIdentity identity,
    IBus bus,
    ModelAliasLookup aliases,
    IOptions<WorkerOptions> options,
    ILogger<ServiceReplicas> logger) : IAsyncDisposable
{
    private static readonly TimeSpan ReplicaStartTimeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<Guid, Lazy<Task<ServiceReplica>>> _replicas = new();
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyCollection<Guid> Hosted => _replicas.Keys.ToList();

    /// <summary>The alias references the services hosted here follow.</summary>
    public IReadOnlyList<(string Project, string Reference)> FollowedAliases =>
        Started().Where(r => r.Command.Follows is not null).Select(r => (r.Command.Project, r.Command.Follows!)).Distinct().ToList();

    /// <summary>Starts hosting a service unless already hosting it; returns when the replica serves or has failed.</summary>
    public Task HostAsync(StartInferenceService command)
    {
        var replica = _replicas.GetOrAdd(command.TaskId, _ => new Lazy<Task<ServiceReplica>>(() => StartReplicaAsync(command)));
        return replica.Value;
    }

    /// <summary>Every service that was running when this worker started is being hosted (see <see cref="ServiceCatchUp"/>).</summary>
    public void CaughtUp() => _caughtUp.TrySetResult();

    public async Task<PredictReply> PredictAsync(Guid taskId, string body, CancellationToken cancellation)
    {
        // A worker that has just started shares the predictions queue before it has learnt which services run: a
        // request it takes for one of them waits for that, then for its replica to start, rather than failing.
        if (!_replicas.ContainsKey(taskId)) await _caughtUp.Task.WaitAsync(ReplicaStartTimeout, cancellation);
        if (!_replicas.TryGetValue(taskId, out var replica))
            throw new InvalidOperationException($"worker {identity.WorkerId} does not host service {taskId}");
        var started = await replica.Value.WaitAsync(ReplicaStartTimeout, cancellation);
        var reply = await started.Runner.PredictAsync(body, cancellation);
        if (reply.BatchSize is { } size) PlatformMetrics.PredictBatchSize.Record(size);
        return reply;
    }

    /// <summary>Moves every replica here that follows the pointer's alias to the version it names.</summary>
    public async Task FollowAsync(ModelAliasPointer pointer, CancellationToken cancellation)
    {
        var following = Started().Where(r => r.Follows(pointer)).ToList();
        await Task.WhenAll(following.Select(r => FollowAsync(r, pointer, cancellation)));
    }

    private async Task FollowAsync(ServiceReplica replica, ModelAliasPointer pointer, CancellationToken cancellation)
    {
        var command = replica.Command;
        var from = replica.Model;
        try
        {
            if (!await replica.FollowAsync(pointer, cancellation)) return;
            logger.LogInformation("Service {Service} ({TaskId}) now serves {Model} ({Alias} moved from {Previous})",
                command.Name, command.TaskId, replica.Model, pointer.Reference, from);
            await ReportServedAsync(command, replica.Model);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The replica keeps serving its version; the periodic alias check tries again.
            logger.LogWarning("Service {Service} ({TaskId}) could not move to {Model}: {Error}", command.Name, command.TaskId, pointer.Version, e.Message);
            await bus.Publish(new TaskLogged(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow, "warning",
                $"{identity.WorkerId} keeps serving {from}: {pointer.Reference} moved to {pointer.Version}, which it could not load: {e.Message}"));
        }
    }

    private async Task<ServiceReplica> StartReplicaAsync(StartInferenceService command)
    {
        // A replica starting late (a restarted worker, a redelivered command) starts on where the alias points now.
        var (model, asOf) = command.Follows is { } follows && await aliases.TryResolveAsync(command.Project, follows, CancellationToken.None) is { Version: { } current } pointer
            ? (current, pointer.AsOf)
            : (command.Model, DateTimeOffset.MinValue);
        var serving = command with { Model = model, Input = command.Follows is null ? command.Input : model };
        RunnerLaunch launch;
        try
        {
            launch = launches.For(command.Script.Source, command.Project);
        }
        catch (ArgumentException e)
        {
            _replicas.TryRemove(command.TaskId, out _);
            await bus.Publish(new TaskFailed(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow,
                $"service could not start on {identity.WorkerId}: {e.Message}"));
            throw;
        }
        var runner = await RunnerProcess.StartAsync(launch, ReplicaStartTimeout);
        var cancellation = running.Register(command.TaskId, CancellationToken.None);
        var events = new TaskEventPump(command, identity.WorkerId, bus, options.Value.PublishTimeout);
        try
        {
            var served = await runner.StartServingAsync(TaskExecutor.ToRunScript(serving, identity.WorkerId), events,
                options.Value.CancelGracePeriod, cancellation);
            await bus.Publish(new TaskReplicaStarted(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow));
            logger.LogInformation("Serving {Service} ({TaskId}) from model {Model}", command.Name, command.TaskId, model);
            await ReportServedAsync(command, model);
            _ = EndWhenStoppedAsync(command, runner, served, events);
            return new ServiceReplica(command, runner, model, asOf);
        }
        catch (Exception e)
        {
            await Forget(command.TaskId, runner, events);
            await bus.Publish(new TaskFailed(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow,
                $"service could not start on {identity.WorkerId}: {e.Message}"));
            throw;
        }
    }

    /// <summary>Advisory, for the task's view: a report lost in an outage is made good by the next swap.</summary>
    private async Task ReportServedAsync(StartInferenceService command, string model)
    {
        try
        {
            await bus.PublishWithin(new ServiceModelServed(command.TaskId, command.Attempt, identity.WorkerId, DateTimeOffset.UtcNow, model),
                options.Value.PublishTimeout);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not report that {TaskId} serves {Model}: {Error}", command.TaskId, model, e.Message);
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

    private IEnumerable<ServiceReplica> Started() =>
        _replicas.Values.Where(r => r.IsValueCreated && r.Value.IsCompletedSuccessfully).Select(r => r.Value.Result);

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas.Values.Where(r => r.IsValueCreated))
        {
            try
            {
                (await replica.Value).Runner.Kill();
            }
            catch (Exception)
            {
                // A replica that failed to start has nothing left to stop.
            }
        }
    }
}
