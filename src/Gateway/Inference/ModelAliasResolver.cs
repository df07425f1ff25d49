using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Gateway.Inference;

/// <summary>Answers a serve worker asking where an alias its services follow points now.</summary>
public sealed class ModelAliasResolver(PlatformDbContext db, TimeProvider clock) : IConsumer<ResolveModelAlias>
{
    public async Task Consume(ConsumeContext<ResolveModelAlias> context) =>
        await context.RespondAsync(await ModelAliasPointers.CurrentAsync(db, context.Message.Project, context.Message.Model, context.Message.Alias, clock, context.CancellationToken));
}
