using System.Collections.Concurrent;
using AiPlatform.Gateway.Registry;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Messages;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Projects;

/// <summary>
/// Each project's lake under the one configured lake (the default project's at its root, the others' under
/// <c>projects/</c>), and its cold storage: below the project's own lake, or below its prefix of <c>Registry:ColdRoot</c>.
/// </summary>
public sealed class ProjectLakes(LakeOptions root, IOptions<RegistryOptions> registry)
{
    private readonly ConcurrentDictionary<string, LakeCatalog> _catalogs = new();
    private readonly Lazy<IObjectStore?> _coldStore = new(() => registry.Value.ColdRoot is { Length: > 0 } coldRoot
        ? ObjectStores.Open(root with { Root = coldRoot })
        : null);

    public LakeCatalog CatalogOf(string project) =>
        _catalogs.GetOrAdd(project, p => new LakeCatalog(root with { Root = ProjectNames.LakeRootOf(root.Root, p) }));

    public VersionArchive ArchiveOf(string project) => new(CatalogOf(project), _coldStore.Value is { } cold
        ? new ColdStorage(cold, ProjectNames.LakeRootOf(registry.Value.ColdPrefix, project))
        : new ColdStorage(CatalogOf(project).Store, registry.Value.ColdPrefix));
}

/// <summary>The lake of the project this scope acts in; read when used, so a consumer can enter its message's project first.</summary>
public sealed class ProjectLake(ProjectLakes lakes, ProjectScope scope)
{
    public LakeCatalog Catalog => lakes.CatalogOf(scope.Required);

    public VersionArchive Archive => lakes.ArchiveOf(scope.Required);
}
