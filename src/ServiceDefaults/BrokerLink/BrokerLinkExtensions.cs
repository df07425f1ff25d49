using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AiPlatform.ServiceDefaults.BrokerLink;

public static class BrokerLinkExtensions
{
    /// <summary>
    /// Watches the process's broker link (<typeparamref name="TLink"/>, a registered singleton) and reports it on
    /// /healthz and /readyz, so probes see a process that is deaf.
    /// </summary>
    public static IServiceCollection AddBrokerLinkWatchdog<TLink>(this IServiceCollection services, Func<IServiceProvider, BrokerLinkTimings> timings)
        where TLink : class, IBrokerLink
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new BrokerLinkWatchdog(sp.GetRequiredService<TLink>(), timings(sp),
            sp.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<BrokerLinkWatchdog>>()));
        services.AddHostedService(sp => sp.GetRequiredService<BrokerLinkWatchdog>());
        services.AddHealthChecks().AddCheck<BrokerLinkWatchdog>("broker-link",
            tags: [ServiceDefaultsExtensions.LiveTag, ServiceDefaultsExtensions.ReadyTag]);
        return services;
    }

    /// <summary>
    /// Probes the process's own queues (see <see cref="ProbedEndpoints"/>): the bus endpoint always, and any receive
    /// endpoint passed to <see cref="ProbedEndpoints.Watch(MassTransit.IReceiveEndpointConfigurator)"/>.
    /// </summary>
    public static IServiceCollection AddEndpointProbe(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ProbedEndpoints>();
        services.AddHostedService<EndpointProbeService>();
        return services;
    }
}
