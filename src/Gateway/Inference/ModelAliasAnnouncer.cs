using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Gateway.Inference;

/// <summary>
/// Tells every serve worker where a model's alias points once a move is committed, so the services that follow it swap
/// at once. Best effort: the move stands even when the broker is down, and workers that missed it converge through
/// their periodic check.
/// </summary>
public sealed class ModelAliasAnnouncer(PlatformDbContext db, ProjectScope project, IPublishEndpoint bus, TimeProvider clock, ILogger<ModelAliasAnnouncer> logger)
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(2);

    public async Task AnnounceAsync(EntryKind kind, string name, string alias, CancellationToken ct)
    {
        if (kind != EntryKind.Model) return;
        try
        {
            // The pointer as committed, not as this request wanted it: a concurrent move may have won since.
            var pointer = await ModelAliasPointers.CurrentAsync(db, project.Required, name, alias, clock, ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(PublishTimeout);
            await bus.Publish(new ModelAliasMoved(pointer), timeout.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("Serve workers were not told that {Model}@{Alias} moved ({Error}); they will find out by their periodic check",
                name, alias, e.Message);
        }
    }
}
