using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiPlatform.Gateway.Lake;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;
using AiPlatform.ServiceDefaults;
using AiPlatform.ServiceDefaults.BrokerLink;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiPlatform.Gateway.Monitoring;

/// <summary>The gateway's part of the platform's metrics and readiness: predict latency, queue depths, database and lake checks.</summary>
public static class GatewayMetrics
{
    public static WebApplicationBuilder AddGatewayMonitoring(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults("aiplatform-gateway");
        builder.Services.AddSingleton<QueueMetrics>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueueMetrics>());
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseReachableCheck>("database", tags: [ServiceDefaultsExtensions.ReadyTag])
            .Add(new HealthCheckRegistration("lake", sp => new ObjectStoreReachableCheck(() => sp.GetRequiredService<ProjectLakes>().CatalogOf(ProjectNames.Default).Store),
                failureStatus: null, tags: [ServiceDefaultsExtensions.ReadyTag]));
        builder.Services.Configure<GatewayLinkOptions>(builder.Configuration.GetSection("Gateway"));
        builder.Services.AddSingleton<GatewayBusLink>();
        builder.Services.AddEndpointProbe();
        builder.Services.AddBrokerLinkWatchdog<GatewayBusLink>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<GatewayLinkOptions>>().Value;
            return new BrokerLinkTimings(options.RecoveryTimeout, options.StartupTimeout, options.ShutdownGracePeriod);
        });
        return builder;
    }

    /// <summary>Times every predict request end to end (body check, bus round trip to a replica, answer), whatever its outcome.</summary>
    public static WebApplication UsePredictLatencyMetric(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path.Value?.EndsWith("/predict", StringComparison.Ordinal) != true)
            {
                await next(context);
                return;
            }
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                PlatformMetrics.PredictDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        });
        return app;
    }
}

/// <summary>Ready only while the task store answers.</summary>
public sealed class DatabaseReachableCheck(PlatformDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("the task store (PostgreSQL) does not answer");
}

/// <summary>
/// Depth and consumers of the platform's own queues, polled from RabbitMQ's management API. Only the named queues
/// of the contract (and their error queues) become series: per-instance and temporary queues would make the label
/// set grow with every worker ever started.
/// </summary>
public sealed class QueueMetrics : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(10);
    private static readonly HashSet<string> ContractQueues =
    [
        QueueNames.Ingest, QueueNames.Train, QueueNames.Predictions, QueueNames.TaskSaga, QueueNames.TaskEvents, QueueNames.WorkerHeartbeats,
    ];

    private readonly QueueMonitor _monitor;
    private readonly ILogger<QueueMetrics> _logger;
    private volatile IReadOnlyList<QueueView> _queues = [];

    public QueueMetrics(QueueMonitor monitor, ILogger<QueueMetrics> logger)
    {
        _monitor = monitor;
        _logger = logger;
        var meter = PlatformMetrics.Meter;
        meter.CreateObservableGauge("aiplatform.queue.messages.ready", () => Measure(q => q.Ready), "{message}", "Messages waiting in the queue.");
        meter.CreateObservableGauge("aiplatform.queue.messages.unacked", () => Measure(q => q.Unacked), "{message}",
            "Messages delivered and not yet acknowledged (for task queues: tasks running now).");
        meter.CreateObservableGauge("aiplatform.queue.consumers", () => Measure(q => q.Consumers), "{consumer}", "Consumers attached to the queue.");
    }

    private IEnumerable<Measurement<long>> Measure(Func<QueueView, long> value) =>
        _queues.Where(IsContractQueue).Select(q => new Measurement<long>(value(q), new KeyValuePair<string, object?>("queue", q.Name)));

    private static bool IsContractQueue(QueueView queue) =>
        ContractQueues.Contains(queue.Name) || ContractQueues.Any(name => queue.Name == $"{name}_error" || queue.Name == $"{name}_skipped");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        do
        {
            try
            {
                _queues = await _monitor.GetQueuesAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Stale figures would hide an outage: report no queues until the broker answers again.
                _queues = [];
                _logger.LogWarning("Queue metrics unavailable: {Error}", e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
