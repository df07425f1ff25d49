using System.Text.Json;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Lake.Catalog;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry;

/// <summary>Read-only views of the registry for the API.</summary>
public sealed class RegistryQueries(PlatformDbContext db)
{
    public Task<RegisteredResource?> FindResourceAsync(EntryKind kind, string name, CancellationToken ct)
    {
        var kindName = RegistryService.KindName(kind);
        return db.RegistryResources.AsNoTracking().SingleOrDefaultAsync(r => r.Kind == kindName && r.Name == name, ct);
    }

    public async Task<IReadOnlyList<VersionView>> VersionsAsync(EntryKind kind, RegisteredResource resource, string? stage, CancellationToken ct)
    {
        var query = db.RegistryVersions.AsNoTracking().Where(v => v.ResourceId == resource.Id);
        if (stage is not null) query = query.Where(v => v.Stage == stage);
        return await ViewsAsync(kind, resource.Name, await query.OrderBy(v => v.LanceVersion).ToListAsync(ct), ct);
    }

    public async Task<VersionView> VersionAsync(EntryKind kind, RegisteredResource resource, string selector, CancellationToken ct)
    {
        var versions = db.RegistryVersions.AsNoTracking().Where(v => v.ResourceId == resource.Id);
        RegisteredVersion? version;
        if (SemanticVersion.TryParse(selector, out var semantic))
            version = await versions.SingleOrDefaultAsync(v => v.SemanticVersion == semantic.ToString(), ct);
        else if (long.TryParse(selector, out var number))
            version = await versions.SingleOrDefaultAsync(v => v.LanceVersion == number, ct);
        else
            throw RegistryException.BadRequest($"version '{selector}' must be a semantic version (1.4.0) or a version number (3)");
        return version is null
            ? throw RegistryException.VersionNotFound(kind, resource.Name, selector)
            : (await ViewsAsync(kind, resource.Name, [version], ct))[0];
    }

    public async Task<VersionView> ViewAsync(EntryKind kind, string name, RegisteredVersion version, CancellationToken ct) =>
        (await ViewsAsync(kind, name, [version], ct))[0];

    public async Task<IReadOnlyList<AliasView>> AliasesAsync(RegisteredResource resource, CancellationToken ct) =>
        await db.RegistryAliases.AsNoTracking().Where(a => a.ResourceId == resource.Id)
            .Join(db.RegistryVersions, a => a.VersionId, v => v.Id, (a, v) => new { a.Alias, v.SemanticVersion, v.LanceVersion, a.UpdatedAt })
            .OrderBy(a => a.Alias)
            .Select(a => new AliasView(a.Alias, a.SemanticVersion, a.LanceVersion, a.UpdatedAt))
            .ToListAsync(ct);

    public Task<IReadOnlyList<AuditView>> AuditAsync(EntryKind kind, string name, DateTimeOffset? since, DateTimeOffset? until, int limit,
        CancellationToken ct) => AuditAsync(RegistryService.KindName(kind), name, since, until, limit, ct);

    /// <summary>The audit of anything the registry records by kind and name: a model, a dataset, a hook.</summary>
    public async Task<IReadOnlyList<AuditView>> AuditAsync(string kindName, string name, DateTimeOffset? since, DateTimeOffset? until, int limit,
        CancellationToken ct)
    {
        var query = db.RegistryAudit.AsNoTracking().Where(a => a.Kind == kindName && a.Name == name);
        if (since is not null) query = query.Where(a => a.At >= since);
        if (until is not null) query = query.Where(a => a.At <= until);
        var records = await query.OrderBy(a => a.Id).Take(limit).ToListAsync(ct);
        return records.Select(a => new AuditView(a.Id, a.Kind, a.Name, a.SemanticVersion, a.Action, a.Actor, a.At, a.Reason, Parse(a.BeforeJson),
            Parse(a.AfterJson))).ToList();
    }

    /// <summary>Per name: the newest semantic version, where each alias points, and how many versions are in each stage.</summary>
    public async Task<IReadOnlyDictionary<string, RegistrySummaryView>> SummariesAsync(EntryKind kind, CancellationToken ct)
    {
        var kindName = RegistryService.KindName(kind);
        var resources = await db.RegistryResources.AsNoTracking().Where(r => r.Kind == kindName).ToListAsync(ct);
        var ids = resources.Select(r => r.Id).ToList();
        var versions = await db.RegistryVersions.AsNoTracking().Where(v => ids.Contains(v.ResourceId)).ToListAsync(ct);
        var aliases = await db.RegistryAliases.AsNoTracking().Where(a => ids.Contains(a.ResourceId)).ToListAsync(ct);
        return resources.ToDictionary(r => r.Name, r =>
        {
            var mine = versions.Where(v => v.ResourceId == r.Id).ToList();
            var latest = mine.Select(v => new SemanticVersion(v.Major, v.Minor, v.Patch)).DefaultIfEmpty().Max();
            return new RegistrySummaryView(
                mine.Count == 0 ? null : latest.ToString(),
                aliases.Where(a => a.ResourceId == r.Id).ToDictionary(a => a.Alias, a => mine.Single(v => v.Id == a.VersionId).SemanticVersion),
                mine.GroupBy(v => v.Stage).ToDictionary(g => g.Key, g => g.Count()));
        });
    }

    private async Task<IReadOnlyList<VersionView>> ViewsAsync(EntryKind kind, string name, IReadOnlyList<RegisteredVersion> versions, CancellationToken ct)
    {
        var ids = versions.Select(v => v.Id).ToList();
        var aliases = await db.RegistryAliases.AsNoTracking().Where(a => ids.Contains(a.VersionId)).ToListAsync(ct);
        var edges = await db.RegistryLineage.AsNoTracking().Where(e => ids.Contains(e.VersionId))
            .Join(db.RegistryVersions, e => e.SourceVersionId, v => v.Id, (e, v) => new { e.VersionId, e.Relation, v.ResourceId, v.SemanticVersion, v.LanceVersion })
            .Join(db.RegistryResources, x => x.ResourceId, r => r.Id, (x, r) => new { x.VersionId, x.Relation, r.Kind, r.Name, x.SemanticVersion, x.LanceVersion })
            .ToListAsync(ct);
        return versions.Select(v => new VersionView(
            RegistryService.KindName(kind), name, v.SemanticVersion, v.LanceVersion, $"{name}:{v.SemanticVersion}", v.Sha256, v.Stage,
            Stages.AllowedFrom(v.Stage),
            aliases.Where(a => a.VersionId == v.Id).Select(a => a.Alias).Order().ToList(),
            v.CreatedAt, v.Origin, new CreatedByView(v.CreatedByTaskId, v.ScriptPath, v.ScriptSha256),
            Parse(v.MetricsJson)!.Value, Parse(v.ParamsJson)!.Value,
            edges.Where(e => e.VersionId == v.Id).Select(e => new VersionLinkView(e.Kind, e.Name, e.SemanticVersion, e.LanceVersion, e.Relation)).ToList(),
            v.DataMissing)).ToList();
    }

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}
