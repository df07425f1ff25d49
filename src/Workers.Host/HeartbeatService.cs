using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>Tells the fleet this worker is alive and what it runs; a task missing from every heartbeat is presumed lost.</summary>
public sealed class HeartbeatService(
    IBus bus,
    WorkerIdentity identity,
    RunningTasks running,
    WorkerLoadSampler load,
    BusLiveness liveness,
    IOptions<WorkerOptions> options,
    ILogger<HeartbeatService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await bus.PublishWithin(new WorkerHeartbeat(identity.WorkerId, identity.Kind, identity.Host, identity.ProcessId,
                    options.Value.Concurrency, running.Ids, identity.StartedAt, DateTimeOffset.UtcNow, identity.Version, load.Sample()),
                    options.Value.PublishTimeout, stoppingToken);
                liveness.HeartbeatSent();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The broker is away; the next beat tries again, and the watchdog judges a silence that lasts.
                logger.LogDebug(e, "Heartbeat not sent");
            }
            await liveness.WaitForHeartbeatRequestAsync(options.Value.HeartbeatInterval, stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await bus.PublishWithin(new WorkerStopped(identity.WorkerId, identity.Kind, DateTimeOffset.UtcNow), options.Value.PublishTimeout,
                cancellationToken);
        }
        catch (Exception)
        {
            // Monitors fall back to heartbeat staleness.
        }
    }
}
