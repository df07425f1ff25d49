using AiPlatform.Gateway.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace AiPlatform.Gateway.Projects;

/// <summary>
/// Which project a task belongs to, for what is shared by every connection (the event stream's task notices, the
/// workers' running tasks) and must be cut to each caller's project. A task never changes project, so answers are kept.
/// </summary>
public sealed class TaskProjects(IServiceScopeFactory scopes, IMemoryCache cache)
{
    private static readonly TimeSpan Kept = TimeSpan.FromMinutes(10);

    /// <summary>The task's project; null for a task this platform does not know (yet).</summary>
    public async ValueTask<string?> OfAsync(Guid taskId, CancellationToken ct)
    {
        var key = (nameof(TaskProjects), taskId);
        if (cache.TryGetValue(key, out string? known)) return known;
        using var scope = scopes.CreateScope();
        var project = await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().Tasks.IgnoreQueryFilters().AsNoTracking()
            .Where(t => t.CorrelationId == taskId).Select(t => t.Project).SingleOrDefaultAsync(ct);
        if (project is not null) cache.Set(key, project, Kept);
        return project;
    }

    /// <summary>Those of <paramref name="taskIds"/> that belong to <paramref name="project"/>.</summary>
    public async Task<List<Guid>> OfProjectAsync(IEnumerable<Guid> taskIds, string project, CancellationToken ct)
    {
        var mine = new List<Guid>();
        foreach (var id in taskIds)
            if (await OfAsync(id, ct) == project) mine.Add(id);
        return mine;
    }
}
