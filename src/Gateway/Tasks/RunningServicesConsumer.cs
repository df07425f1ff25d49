using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Tasks;

/// <summary>Tells a starting serve worker which inference services to host.</summary>
public sealed class RunningServicesConsumer(PlatformDbContext db) : IConsumer<GetRunningServices>
{
    public async Task Consume(ConsumeContext<GetRunningServices> context)
    {
        var services = await db.Tasks.AsNoTracking()
            .Where(t => t.Type == TaskTypes.Inference && t.Attempts > 0 && TaskStatuses.ActiveStates.Contains(t.CurrentState)
                        && t.CancelRequestedAt == null)
            .ToListAsync(context.CancellationToken);
        await context.RespondAsync(new RunningServices(services.Select(s => (StartInferenceService)TaskCommands.For(s)).ToList()));
    }
}
