using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>Tells the fleet this worker is alive and what it runs; a task missing from every heartbeat is presumed lost.</summary>
public sealed class HeartbeatService(IBus bus, WorkerIdentity identity, RunningTasks running, IOptions<WorkerOptions> options)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        do
        {
            try
            {
                await bus.Publish(new WorkerHeartbeat(identity.WorkerId, identity.Kind, identity.Host, identity.ProcessId,
                    options.Value.Concurrency, running.Ids, identity.StartedAt, DateTimeOffset.UtcNow), stoppingToken);
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The broker is away; the next beat tries again.
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await bus.Publish(new WorkerStopped(identity.WorkerId, identity.Kind, DateTimeOffset.UtcNow), cancellationToken);
        }
        catch (Exception)
        {
            // Monitors fall back to heartbeat staleness.
        }
    }
}
