using System.Text.Json.Nodes;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry;

/// <summary>
/// Brings the registry and the lake into agreement when the gateway starts. A writer can crash between its Lance
/// commit and the registry insert (or its report can be lost): such a committed version is registered now, with what
/// the lake itself recorded about it. A registry row whose data is gone from the lake is flagged, and unflagged if
/// the data comes back. An archive or restore a crash interrupted is finished (its copies were complete) or undone,
/// and the version's stage made to match.
/// </summary>
public sealed class RegistryReconciler(IServiceScopeFactory scopes, ILogger<RegistryReconciler> logger) : BackgroundService
{
    public const string Actor = "reconciler";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            IReadOnlyList<string> projects;
            using (var everyProject = scopes.CreateScope())
                projects = await KnownProjects.ListAsync(everyProject.ServiceProvider.GetRequiredService<PlatformDbContext>(), stoppingToken);
            foreach (var project in projects)
            {
                using var scope = scopes.CreateScope(project);
                var (registered, flagged, recovered) = await ReconcileAsync(scope.ServiceProvider, logger, stoppingToken);
                logger.LogInformation("Registry of project {Project} reconciled with its lake: {Registered} version(s) registered, {Flagged} flag change(s), " +
                                      "{Recovered} interrupted archive(s) or restore(s) settled", project, registered, flagged, recovered);
            }
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // The gateway still serves; the next start tries again, and task reports keep registering new versions.
            logger.LogError(e, "Registry reconciliation failed");
        }
    }

    /// <summary>One project's registry and lake: <paramref name="services"/> is a scope that entered it.</summary>
    public static async Task<(int Registered, int Flagged, int Recovered)> ReconcileAsync(IServiceProvider services, ILogger logger, CancellationToken ct)
    {
        var db = services.GetRequiredService<PlatformDbContext>();
        var registry = services.GetRequiredService<RegistryService>();
        var lifecycle = services.GetRequiredService<RegistryLifecycle>();
        var archive = services.GetRequiredService<ProjectLake>().Archive;
        var lake = services.GetRequiredService<ProjectLake>().Catalog;
        int registeredCount = 0, flaggedCount = 0, recoveredCount = 0;
        foreach (var kind in new[] { EntryKind.Dataset, EntryKind.Model })
        {
            var kindName = RegistryService.KindName(kind);
            var known = await db.RegistryResources.AsNoTracking().Where(r => r.Kind == kindName).Select(r => r.Name).ToListAsync(ct);
            foreach (var name in (await lake.ListNamesAsync(kind, ct)).Union(known))
            {
                var committed = await lake.ListVersionsAsync(kind, name, ct);
                var rows = await db.RegistryVersions.AsNoTracking()
                    .Where(v => db.RegistryResources.Any(r => r.Id == v.ResourceId && r.Kind == kindName && r.Name == name))
                    .ToListAsync(ct);
                foreach (var version in committed.Where(c => rows.All(r => r.LanceVersion != c)))
                {
                    await registry.RegisterAsync(kind == EntryKind.Model
                        ? await RecoverModelAsync(lake, name, version, ct)
                        : new VersionRegistration(kind, name, version, "reconciled", Actor), ct);
                    registeredCount++;
                }
                foreach (var row in rows)
                    if (row.DataMissing == committed.Contains(row.LanceVersion))
                    {
                        await registry.SetDataMissingAsync(kind, name, row.LanceVersion, !committed.Contains(row.LanceVersion), Actor, ct);
                        flaggedCount++;
                    }
                foreach (var (version, outcome) in await archive.RecoverAsync(kind, name, ct))
                {
                    logger.LogWarning("{Kind} {Name} version {Version}: an interrupted archive or restore was {Outcome}", kindName, name, version, outcome);
                    await lifecycle.SettleRecoveredAsync(kind, name, version, outcome, ct);
                    recoveredCount++;
                }
            }
        }
        return (registeredCount, flaggedCount, recoveredCount);
    }

    /// <summary>A model version carries its own provenance in its row: what the script that saved it recorded.</summary>
    internal static async Task<VersionRegistration> RecoverModelAsync(LakeCatalog lake, string name, long version, CancellationToken ct)
    {
        var model = await lake.Models.LoadAsync(name, version, ct);
        var lineage = model.Lineage;
        var sources = Versions(lineage["inputs"]).Select(s => new VersionSource(EntryKind.Dataset, s.Name, s.LanceVersion, "input"))
            .Concat(Versions(lineage["parent_models"]).Select(s => new VersionSource(EntryKind.Model, s.Name, s.LanceVersion, "parent")))
            .ToList();
        // Models saved before the registry existed recorded one dataset this way.
        if (lineage["dataset"]?.GetValue<string>() is { } dataset && lineage["dataset_version"]?.GetValue<long>() is { } datasetVersion)
            sources.Add(new VersionSource(EntryKind.Dataset, dataset, datasetVersion, "input"));
        return new VersionRegistration(EntryKind.Model, name, version, "reconciled", Actor,
            SemanticVersion.TryParse(lineage["semantic_version"]?.GetValue<string>(), out var semantic) ? semantic : null,
            Guid.TryParse(lineage["task_id"]?.GetValue<string>(), out var taskId) ? taskId : null,
            lineage["script_path"]?.GetValue<string>(), lineage["script_sha256"]?.GetValue<string>(),
            model.Metrics.ToJsonString(), model.Params.ToJsonString(), sources);
    }

    private static IEnumerable<(string Name, long LanceVersion)> Versions(JsonNode? list) =>
        (list as JsonArray ?? []).OfType<JsonObject>()
        .Where(o => o["name"] is not null && o["lance_version"] is not null)
        .Select(o => (o["name"]!.GetValue<string>(), o["lance_version"]!.GetValue<long>()));
}
