using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry;

/// <summary>A reference pinned to one committed version; <see cref="Registered"/> is null while its registration is still on its way.</summary>
public sealed record ResolvedReference(EntryKind Kind, string Name, long LanceVersion, RegisteredVersion? Registered)
{
    /// <summary>What a script receives: <c>name@N</c>, which it can open without the registry.</summary>
    public string Exact => LakeReference.Exact(Name, LanceVersion);
}

/// <summary>
/// Resolves <c>name</c>, <c>name@3</c>, <c>name@alias</c> and <c>name:1.4.0</c> to one committed version. The newest
/// version and version numbers come from the lake itself, so a version committed a moment ago resolves even before its
/// registration lands; aliases and semantic versions come from the registry. Archived, deleted or data-less versions
/// never resolve.
/// </summary>
public sealed class ReferenceResolver(PlatformDbContext db, ProjectLake lake)
{
    public async Task<ResolvedReference> ResolveAsync(EntryKind kind, string text, CancellationToken ct)
    {
        LakeReference reference;
        try
        {
            reference = LakeReference.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw RegistryException.BadRequest(e.Message);
        }
        var committed = await lake.Catalog.ListVersionsAsync(kind, reference.Name, ct);
        var kindName = RegistryService.KindName(kind);
        var registered = await db.RegistryVersions.AsNoTracking()
            .Where(v => db.RegistryResources.Any(r => r.Id == v.ResourceId && r.Kind == kindName && r.Name == reference.Name))
            .ToListAsync(ct);
        if (committed.Count == 0 && registered.Count == 0) throw RegistryException.ResourceNotFound(kind, reference.Name);

        switch (reference.Kind)
        {
            case ReferenceKind.Latest:
                foreach (var candidate in committed.Reverse())
                {
                    var row = Current(registered, candidate);
                    if (row is null || (Stages.IsReadable(row.Stage) && !row.DataMissing)) return new ResolvedReference(kind, reference.Name, candidate, row);
                }
                throw new RegistryException(409, RegistryErrorCodes.VersionNotAvailable,
                    $"{RegistryException.Noun(kind)} '{reference.Name}' has no version that can be used (every one is archived, deleted or missing its data)");
            case ReferenceKind.LanceVersion:
            {
                if (!committed.Contains(reference.LanceVersion!.Value))
                {
                    var lost = registered.SingleOrDefault(v => v.LanceVersion == reference.LanceVersion);
                    throw lost is null
                        ? RegistryException.VersionNotFound(kind, reference.Name, reference.LanceVersion.Value.ToString())
                        : RegistryException.NotReadable(kind, reference.Name, lost);
                }
                return Readable(kind, reference.Name, reference.LanceVersion.Value, Current(registered, reference.LanceVersion.Value));
            }
            case ReferenceKind.Alias:
            {
                var ids = registered.Select(v => v.Id).ToList();
                var pointer = await db.RegistryAliases.AsNoTracking()
                                  .Where(a => a.Alias == reference.Alias && ids.Contains(a.VersionId))
                                  .SingleOrDefaultAsync(ct)
                              ?? throw new RegistryException(404, RegistryErrorCodes.AliasNotFound,
                                  $"{RegistryException.Noun(kind)} '{reference.Name}' has no alias '{reference.Alias}'");
                var row = registered.Single(v => v.Id == pointer.VersionId);
                return Readable(kind, reference.Name, row.LanceVersion, row);
            }
            default:
            {
                var row = registered.SingleOrDefault(v => v.SemanticVersion == reference.Version.ToString())
                          ?? throw RegistryException.VersionNotFound(kind, reference.Name, reference.Version.ToString()!);
                return Readable(kind, reference.Name, row.LanceVersion, row);
            }
        }
    }

    /// <summary>
    /// The row of a version the lake has committed; null while its registration is on its way, which includes a row
    /// still flagged as missing from the lake: the lake has the version again, its registration will say whether it is
    /// the same data (see <see cref="RegistryService"/>'s rebinding).
    /// </summary>
    private static RegisteredVersion? Current(List<RegisteredVersion> registered, long committedVersion) =>
        registered.SingleOrDefault(v => v.LanceVersion == committedVersion) is { DataMissing: false } row ? row : null;

    private static ResolvedReference Readable(EntryKind kind, string name, long lanceVersion, RegisteredVersion? row) =>
        row is not null && (!Stages.IsReadable(row.Stage) || row.DataMissing)
            ? throw RegistryException.NotReadable(kind, name, row)
            : new ResolvedReference(kind, name, lanceVersion, row);
}
