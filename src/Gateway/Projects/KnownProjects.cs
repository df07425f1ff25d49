using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Projects;

/// <summary>
/// The projects this platform has: the default one, and every project a key, task, registered resource or pipeline
/// names. A project comes into being with the first thing made in it; there is nothing else to create.
/// </summary>
public static class KnownProjects
{
    /// <summary>Every project, whichever the context's scope acts in.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(PlatformDbContext db, CancellationToken ct)
    {
        var named = await db.Tasks.IgnoreQueryFilters().Select(t => t.Project)
            .Union(db.RegistryResources.IgnoreQueryFilters().Select(r => r.Project))
            .Union(db.Pipelines.IgnoreQueryFilters().Select(p => p.Project))
            .Union(db.ApiKeys.Where(k => k.Project != null).Select(k => k.Project!))
            .ToListAsync(ct);
        return [.. named.Append(ProjectNames.Default).Distinct().Order(StringComparer.Ordinal)];
    }
}
