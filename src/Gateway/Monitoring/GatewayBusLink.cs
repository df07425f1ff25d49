using AiPlatform.Messages;
using AiPlatform.ServiceDefaults.BrokerLink;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Monitoring;

/// <summary>
/// The gateway's own link to the broker. The saga, the task monitor and the event recorder consume on it: a gateway
/// whose endpoints stay deaf after an outage leaves every task pending, so its watchdog makes it exit instead.
/// </summary>
public sealed class GatewayBusLink(IBusControl bus, ProbedEndpoints ownQueues, IOptions<RabbitMqOptions> rabbit, ILogger<GatewayBusLink> logger)
    : IBrokerLink
{
    /// <summary>The bus's own health, and whether the bus endpoint, where answers to the gateway's requests arrive, still receives.</summary>
    public string? Problem() => BusHealth.ProblemOf(bus) ?? ownQueues.Problem();

    public Task<bool> BrokerReachableAsync(CancellationToken ct) => BrokerReachability.AcceptsConnectionsAsync(rabbit.Value.Host, rabbit.Value.Port, ct);

    public void Recovered() => logger.LogInformation("Consuming again: saga, task events and heartbeats are read");
}

/// <summary>Settings under <c>Gateway:</c> for its broker link, as <c>Worker:</c> has for workers.</summary>
public sealed class GatewayLinkOptions
{
    /// <summary>How long the gateway may stay deaf once the broker is reachable again before it exits for its supervisor.</summary>
    public TimeSpan RecoveryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(30);
}
