using System.Collections.Concurrent;
using AiPlatform.Messages;
using AiPlatform.ServiceDefaults.BrokerLink;
using MassTransit;
using RabbitMqTransport = MassTransit.IRabbitMqReceiveEndpointConfigurator;

namespace AiPlatform.Workers.Host;

/// <summary>
/// Claims a task from the saga. The claim goes out through the endpoint that delivered the task's command, and the
/// answer comes back to a durable queue of this worker's own.
/// <list type="bullet">
/// <item>A broker restart deletes the bus's temporary endpoint, and an answer sent there before MassTransit declares
/// it again is dropped: the saga then counts the task as running on a worker that never heard so. A durable queue keeps
/// the answer until the worker reads it. It expires once no worker has used it for <see cref="UnusedFor"/>, so a
/// worker that is gone for good leaves nothing behind.</item>
/// <item>After a restart each endpoint comes back on its own back-off. MassTransit's request client of a connected
/// endpoint publishes through that endpoint, and a CI run saw a claim go nowhere for 90 s while the answer queue was
/// not consumed again. The endpoint that just delivered the command is back by definition, so the claim reaches the
/// saga (which marks the task running) even while the answer queue is still reconnecting, and the answer waits in it.</item>
/// </list>
/// </summary>
public sealed class ClaimClient(IBus bus, WorkerIdentity identity, ProbedEndpoints probes)
{
    public static readonly TimeSpan UnusedFor = TimeSpan.FromMinutes(10);

    private readonly SemaphoreSlim _connecting = new(1, 1);
    private readonly ConcurrentDictionary<(Guid TaskId, int Attempt), TaskCompletionSource<TaskClaimRejected?>> _waiting = new();
    private HostReceiveEndpointHandle? _endpoint;
    private Uri? _answersTo;

    public string QueueName => $"claims-{identity.WorkerId}";

    /// <summary>
    /// Claims <paramref name="claim"/>'s attempt; null when this worker may run it, the saga's refusal otherwise. Throws
    /// <see cref="TimeoutException"/> when no answer came within <paramref name="limit"/>, the publish included (one caught
    /// in a broker reconnect can wait on a closed channel for good): the saga answers a repeated claim of the same worker
    /// again, so the caller retries.
    /// </summary>
    public async Task<TaskClaimRejected?> ClaimAsync(ClaimTask claim, IPublishEndpoint via, TimeSpan limit, CancellationToken ct)
    {
        using var within = CancellationTokenSource.CreateLinkedTokenSource(ct);
        within.CancelAfter(limit);
        var key = (claim.TaskId, claim.Attempt);
        var answer = _waiting.GetOrAdd(key, _ => new TaskCompletionSource<TaskClaimRejected?>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            var answersTo = await AnswerQueueAsync(within.Token);
            await via.Publish(claim, context =>
            {
                context.RequestId = NewId.NextGuid();
                context.ResponseAddress = answersTo;
            }, within.Token).WaitAsync(within.Token);
            return await answer.Task.WaitAsync(within.Token);
        }
        catch (OperationCanceledException) when (within.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer to {nameof(ClaimTask)} within {limit.TotalSeconds:0.#} s");
        }
        finally
        {
            _waiting.TryRemove(key, out _);
        }
    }

    /// <summary>The answer queue, declared and consumed once: the first claim waits for it, later ones do not.</summary>
    private async Task<Uri> AnswerQueueAsync(CancellationToken ct)
    {
        if (_answersTo is { } ready) return ready;
        await _connecting.WaitAsync(ct);
        try
        {
            // Connected without the calling task's execution context, which its receive loops would otherwise keep (the
            // task's log scope on every later line of the endpoint).
            using (ExecutionContext.SuppressFlow()) _endpoint ??= Connect();
            var endpoint = await _endpoint.Ready.WaitAsync(ct);
            return _answersTo = endpoint.InputAddress;
        }
        finally
        {
            _connecting.Release();
        }
    }

    private HostReceiveEndpointHandle Connect() =>
        bus.ConnectReceiveEndpoint(QueueName, endpoint =>
        {
            if (endpoint is RabbitMqTransport rabbit)
            {
                rabbit.Durable = true;
                rabbit.AutoDelete = false;
                rabbit.QueueExpiration = UnusedFor;
                rabbit.ConfigureConsumeTopology = false;
            }
            probes.Watch(endpoint);
            // Matched by task and attempt, not by request: a late answer to an earlier try of the same claim is as good.
            endpoint.Handler<TaskClaimed>(context => Answer(context.Message.TaskId, context.Message.Attempt, null));
            endpoint.Handler<TaskClaimRejected>(context => Answer(context.Message.TaskId, context.Message.Attempt, context.Message));
        });

    private Task Answer(Guid taskId, int attempt, TaskClaimRejected? rejection)
    {
        if (_waiting.TryGetValue((taskId, attempt), out var waiting)) waiting.TrySetResult(rejection);
        return Task.CompletedTask;
    }
}
