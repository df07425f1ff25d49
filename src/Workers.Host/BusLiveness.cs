using AiPlatform.Messages;
using AiPlatform.ServiceDefaults.BrokerLink;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>
/// What this worker knows of its own link to the broker: the bus's own health (connection and every receive endpoint),
/// whether its own queues still receive (<see cref="ProbedEndpoints"/>), and whether heartbeats still go out. A bus that claims health while nothing it publishes arrives is caught by the
/// second: a publish that neither succeeds nor fails is what a deaf worker looks like from inside.
/// </summary>
public sealed class BusLiveness(IBusControl bus, ProbedEndpoints ownQueues, IOptions<WorkerOptions> options, IOptions<RabbitMqOptions> rabbit,
    TimeProvider clock) : IBrokerLink
{
    private long _lastBeatTicks = clock.GetUtcNow().UtcTicks;
    private readonly SemaphoreSlim _beatNow = new(0, 1);

    public DateTimeOffset LastHeartbeatSentAt => new(Interlocked.Read(ref _lastBeatTicks), TimeSpan.Zero);

    public void HeartbeatSent() => Interlocked.Exchange(ref _lastBeatTicks, clock.GetUtcNow().UtcTicks);

    /// <summary>Asks for a heartbeat now rather than at the next tick: a worker back from an outage speaks up at once.</summary>
    public void RequestHeartbeat()
    {
        if (_beatNow.CurrentCount == 0)
        {
            try { _beatNow.Release(); }
            catch (SemaphoreFullException) { /* one request pending is enough */ }
        }
    }

    public Task<bool> WaitForHeartbeatRequestAsync(TimeSpan timeout, CancellationToken ct) => _beatNow.WaitAsync(timeout, ct);

    /// <summary>Null when healthy, otherwise why not.</summary>
    public string? Problem()
    {
        if ((BusHealth.ProblemOf(bus) ?? ownQueues.Problem()) is { } problem) return problem;
        var silence = clock.GetUtcNow() - LastHeartbeatSentAt;
        var allowed = options.Value.HeartbeatInterval * 3 + options.Value.PublishTimeout;
        return silence > allowed ? $"no heartbeat has gone out for {silence.TotalSeconds:0} s" : null;
    }

    public Task<bool> BrokerReachableAsync(CancellationToken ct) => BrokerReachability.AcceptsConnectionsAsync(rabbit.Value.Host, rabbit.Value.Port, ct);

    /// <summary>A worker back from an outage sends a heartbeat at once, so the fleet sees it alive again.</summary>
    public void Recovered() => RequestHeartbeat();
}
