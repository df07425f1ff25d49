namespace AiPlatform.Gateway.Monitoring;

public static class MonitoringExtensions
{
    /// <summary>Queue figures from RabbitMQ and the shared snapshot producer behind every event stream.</summary>
    public static IServiceCollection AddMonitoring(this IServiceCollection services)
    {
        services.AddHttpClient();
        services.AddSingleton<QueueMonitor>();
        services.AddSingleton<SnapshotBroadcaster>();
        services.AddHostedService(sp => sp.GetRequiredService<SnapshotBroadcaster>());
        return services;
    }
}
