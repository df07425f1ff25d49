using AiPlatform.Gateway.Persistence;
using AiPlatform.Lake.Catalog;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry;

/// <summary>
/// Records that versions were read, which is what retention's "not read for D days" counts: a version a task pinned at
/// submit, and every version a script opened (its result's lake report). At most one write per version per
/// <see cref="Resolution"/>, however many tasks read it: retention needs days, not seconds.
/// </summary>
public sealed class RegistryReads(PlatformDbContext db, TimeProvider clock)
{
    public static readonly TimeSpan Resolution = TimeSpan.FromHours(1);

    public Task MarkAsync(long versionId, CancellationToken ct) => MarkAsync(db.RegistryVersions.Where(v => v.Id == versionId), ct);

    public Task MarkAsync(EntryKind kind, string name, long lanceVersion, CancellationToken ct)
    {
        var kindName = RegistryService.KindName(kind);
        var resources = db.RegistryResources.Where(r => r.Kind == kindName && r.Name == name).Select(r => r.Id);
        return MarkAsync(db.RegistryVersions.Where(v => resources.Contains(v.ResourceId) && v.LanceVersion == lanceVersion), ct);
    }

    private async Task MarkAsync(IQueryable<RegisteredVersion> versions, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var staleBefore = now - Resolution;
        await versions.Where(v => v.LastReadAt == null || v.LastReadAt < staleBefore)
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.LastReadAt, now), ct);
    }
}
