using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Hosting;

namespace AiPlatform.ServiceDefaults.BrokerLink;

/// <summary>What a process sends to its own queues to prove they still receive.</summary>
public sealed record ProbeEndpoint(Guid ProbeId);

/// <summary>
/// The queues only this process reads (the bus endpoint, where the answers to its requests arrive, and an instance
/// queue of its own) and whether each still receives what is sent to it. MassTransit's own health can call such an
/// endpoint consuming while its channel died in a broker restart: its temporary queue is gone with the old broker, the
/// endpoint never hears of it, and every request of the process then waits for an answer that cannot arrive.
/// </summary>
public sealed class ProbedEndpoints(TimeProvider clock)
{
    /// <summary>A probe the broker accepted that has not come back within this marks its endpoint deaf.</summary>
    public static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(15);

    private sealed class Watched(Uri address)
    {
        public Uri Address { get; } = address;

        /// <summary>When the oldest probe not yet heard back was accepted by the broker; 0 when none is out.</summary>
        public long UnansweredSinceTicks;
    }

    private readonly ConcurrentDictionary<string, Watched> _endpoints = new();

    public IEnumerable<Uri> Addresses => _endpoints.Values.Select(w => w.Address);

    /// <summary>Probes <paramref name="endpoint"/>, a queue of this process alone, and answers the probes it receives.</summary>
    public void Watch(IReceiveEndpointConfigurator endpoint)
    {
        Watch(endpoint.InputAddress);
        endpoint.Handler<ProbeEndpoint>(context =>
        {
            Heard(context.ReceiveContext.InputAddress);
            return Task.CompletedTask;
        });
    }

    public void Watch(Uri address) => _endpoints.TryAdd(QueueOf(address), new Watched(address));

    public void Sent(Uri address)
    {
        if (_endpoints.TryGetValue(QueueOf(address), out var watched))
            Interlocked.CompareExchange(ref watched.UnansweredSinceTicks, clock.GetUtcNow().UtcTicks, 0);
    }

    public void Heard(Uri address)
    {
        if (_endpoints.TryGetValue(QueueOf(address), out var watched)) Interlocked.Exchange(ref watched.UnansweredSinceTicks, 0);
    }

    /// <summary>Null when every probed endpoint received its probes in time, otherwise which one did not.</summary>
    public string? Problem()
    {
        var now = clock.GetUtcNow();
        foreach (var (queue, watched) in _endpoints)
        {
            var since = Interlocked.Read(ref watched.UnansweredSinceTicks);
            if (since == 0) continue;
            var silence = now - new DateTimeOffset(since, TimeSpan.Zero);
            if (silence > AnswerLimit) return $"endpoint {queue} is deaf: it has not received this process's own probe for {silence.TotalSeconds:0} s";
        }
        return null;
    }

    // Addresses differ in their query (temporary=true) between configuration and receipt; the queue names one endpoint.
    private static string QueueOf(Uri address) => address.AbsolutePath.TrimEnd('/').Split('/')[^1];
}

/// <summary>Sends a probe to each of the process's own queues every couple of seconds; see <see cref="ProbedEndpoints"/>.</summary>
public sealed class EndpointProbeService(IBus bus, ProbedEndpoints endpoints, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SendLimit = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The bus endpoint receives the answers to every request this process makes (claims, alias look-ups, predictions).
        endpoints.Watch(bus.Address);
        var handle = bus.ConnectHandler<ProbeEndpoint>(context =>
        {
            endpoints.Heard(context.ReceiveContext.InputAddress);
            return Task.CompletedTask;
        });
        try
        {
            using var timer = new PeriodicTimer(Interval, clock);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var address in endpoints.Addresses) await ProbeAsync(address, stoppingToken);
            }
        }
        finally
        {
            handle.Disconnect();
        }
    }

    private async Task ProbeAsync(Uri address, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(SendLimit);
        try
        {
            var endpoint = await bus.GetSendEndpoint(address).WaitAsync(SendLimit, ct);
            await endpoint.Send(new ProbeEndpoint(Guid.NewGuid()), limit.Token).WaitAsync(SendLimit, ct);
            endpoints.Sent(address);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // A probe the broker did not take proves nothing about the endpoint: the broker is away or the link is,
            // which the bus's health and the heartbeats report.
        }
    }
}
