using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Removes the checkpoints of tasks that have ended. Their worker removes them as it reports the end, but a task can
/// also end without one: it fails after its last worker was lost, or is cancelled while its worker is gone. Checkpoints
/// of a task the platform does not know are removed once they are a day old (its row was deleted, or it belongs to
/// another platform sharing the lake, which keeps its own for that long).
/// </summary>
public sealed class CheckpointSweeper(IServiceScopeFactory scopes, ProjectLakes lakes, IOptions<TaskOptions> options, ILogger<CheckpointSweeper> logger)
    : BackgroundService
{
    private static readonly TimeSpan UnknownTaskAge = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckpointSweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Checkpoint sweep failed ({Error}); trying again next time", e.Message);
            }
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        foreach (var project in await KnownProjects.ListAsync(db, ct)) await SweepAsync(db, lakes.CatalogOf(project), ct);
    }

    /// <summary>One project's lake, where its tasks keep their checkpoints.</summary>
    private async Task SweepAsync(PlatformDbContext db, LakeCatalog lake, CancellationToken ct)
    {
        var newestByTask = (await lake.Store.ListAsync(TaskCheckpoints.Folder, ct))
            .Select(o => (Folder: o.Path[(TaskCheckpoints.Folder.Length + 1)..].Split('/')[0], o.LastModified))
            .Where(o => Guid.TryParseExact(o.Folder, "N", out _))
            .GroupBy(o => Guid.ParseExact(o.Folder, "N"))
            .ToDictionary(g => g.Key, g => g.Max(o => o.LastModified));
        if (newestByTask.Count == 0) return;

        var ids = newestByTask.Keys.ToList();
        var states = await db.Tasks.AsNoTracking().Where(t => ids.Contains(t.CorrelationId))
            .ToDictionaryAsync(t => t.CorrelationId, t => t.CurrentState, ct);
        var now = DateTimeOffset.UtcNow;
        var ended = newestByTask.Keys.Where(id => states.TryGetValue(id, out var state)
            ? TaskStatuses.IsFinal(state)
            : now - newestByTask[id] > UnknownTaskAge).ToList();
        foreach (var id in ended) await new TaskCheckpoints(lake.Store, id).DeleteAllAsync(ct);
        if (ended.Count > 0) logger.LogInformation("Removed the checkpoints of {Count} ended task(s)", ended.Count);
    }
}
