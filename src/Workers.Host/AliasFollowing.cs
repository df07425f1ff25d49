using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>Every serve worker hears every alias move; the replicas that follow the alias swap to its new version.</summary>
public sealed class ModelAliasMovedConsumer(ServiceReplicas replicas) : IConsumer<ModelAliasMoved>
{
    public Task Consume(ConsumeContext<ModelAliasMoved> context) => replicas.FollowAsync(context.Message.Pointer, context.CancellationToken);
}

/// <summary>
/// The slow path that makes the fast one safe: a worker that missed a move (a broker outage, the event published while
/// it restarted) asks where each followed alias points every <see cref="WorkerOptions.AliasCheckInterval"/> and converges.
/// </summary>
public sealed class AliasFollowCheck(ServiceReplicas replicas, ModelAliasLookup aliases, IOptions<WorkerOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.AliasCheckInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var (project, reference) in replicas.FollowedAliases)
                if (await aliases.TryResolveAsync(project, reference, stoppingToken) is { } pointer)
                    await replicas.FollowAsync(pointer, stoppingToken);
        }
    }
}
