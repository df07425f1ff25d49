using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Registry;

/// <summary>What one retention pass did to one dataset or model.</summary>
public sealed record RetentionReport(IReadOnlyList<string> Purged, IReadOnlyList<string> Archived, IReadOnlyList<string> OrphansRemoved);

/// <summary>
/// The retention job: per dataset or model, soft deletes older than <see cref="RegistryOptions.SoftDeleteDays"/> are
/// removed for good; versions are archived that are not aliased, not the newest, not in use, and either outside the
/// policy's newest <c>keep_last</c> or not read for <c>archive_after_days</c> (30 by default); and files no version
/// references are removed once older than <see cref="RegistryOptions.OrphanMinAge"/>. Time comes from the injected
/// <see cref="TimeProvider"/>, so a test runs a pass on a fake clock.
/// </summary>
public sealed class RegistryRetention(IServiceScopeFactory scopes, TimeProvider clock, IOptions<RegistryOptions> options, ILogger<RegistryRetention> logger)
    : BackgroundService
{
    public const string Actor = "retention";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RetentionInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The next pass tries again; nothing a pass does is lost half-way (each step is its own transaction or journaled move).
                logger.LogError(e, "Retention pass failed");
            }
        }
    }

    /// <summary>One pass over every registered dataset and model.</summary>
    public async Task RunOnceAsync(CancellationToken ct)
    {
        List<(string Project, string Kind, string Name)> resources;
        using (var scope = scopes.CreateScope())
            resources = (await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().RegistryResources.AsNoTracking()
                .Select(r => new { r.Project, r.Kind, r.Name }).ToListAsync(ct)).Select(r => (r.Project, r.Kind, r.Name)).ToList();
        foreach (var (project, kind, name) in resources)
        {
            var report = await RunAsync(project, kind == "model" ? EntryKind.Model : EntryKind.Dataset, name, ct);
            if (report.Purged.Count + report.Archived.Count + report.OrphansRemoved.Count > 0)
                logger.LogInformation("Retention on {Kind} {Name} of project {Project}: purged [{Purged}], archived [{Archived}], {Orphans} unreferenced file(s) removed",
                    kind, name, project, string.Join(", ", report.Purged), string.Join(", ", report.Archived), report.OrphansRemoved.Count);
        }
    }

    /// <summary>One pass over one dataset or model of <paramref name="project"/>.</summary>
    public async Task<RetentionReport> RunAsync(string project, EntryKind kind, string name, CancellationToken ct)
    {
        using var scope = scopes.CreateScope(project);
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PlatformDbContext>();
        var lifecycle = services.GetRequiredService<RegistryLifecycle>();
        var registry = services.GetRequiredService<RegistryService>();
        var lake = services.GetRequiredService<ProjectLake>().Catalog;
        var now = clock.GetUtcNow();
        var kindName = RegistryService.KindName(kind);
        var resource = await db.RegistryResources.AsNoTracking().SingleOrDefaultAsync(r => r.Kind == kindName && r.Name == name, ct)
                       ?? throw RegistryException.ResourceNotFound(kind, name);

        var purged = new List<string>();
        var softDeleteCutoff = now - lifecycle.SoftDeleteTime;
        foreach (var expired in await db.RegistryVersions.AsNoTracking()
                     .Where(v => v.ResourceId == resource.Id && v.Stage == Stages.Deleted && v.StageChangedAt < softDeleteCutoff)
                     .Select(v => v.SemanticVersion).ToListAsync(ct))
            if (await TryAsync(() => lifecycle.DeleteVersionAsync(kind, name, expired, hard: true,
                    $"soft-deleted more than {options.Value.SoftDeleteDays} day(s) ago", Actor, ct)))
                purged.Add(expired);

        var archived = new List<string>();
        var committed = await lake.ListVersionsAsync(kind, name, ct);
        var versions = await db.RegistryVersions.AsNoTracking().Where(v => v.ResourceId == resource.Id).ToListAsync(ct);
        var aliased = await db.RegistryAliases.AsNoTracking().Where(a => a.ResourceId == resource.Id).Select(a => a.VersionId).ToListAsync(ct);
        var idleDays = resource.ArchiveAfterDays ?? options.Value.DefaultArchiveAfterDays;
        var newestFirst = versions.Where(v => v.Stage != Stages.Deleted).OrderByDescending(v => v.LanceVersion).ToList();
        foreach (var (version, rank) in newestFirst.Select((v, i) => (v, i + 1)))
        {
            if (version.Stage is not (Stages.Registered or Stages.Deprecated) || aliased.Contains(version.Id)
                || committed.Count == 0 || committed[^1] == version.LanceVersion || version.DataMissing)
                continue;
            var beyondKeep = resource.KeepLast is { } keep && rank > keep;
            var withinKeep = resource.KeepLast is { } kept && rank <= kept;
            var idle = (version.LastReadAt ?? version.CreatedAt) < now - TimeSpan.FromDays(idleDays);
            if (withinKeep || !(beyondKeep || idle)) continue;
            var reason = beyondKeep ? $"outside the newest {resource.KeepLast} version(s) kept" : $"not read for {idleDays} day(s)";
            if (version.Stage == Stages.Registered
                && !await TryAsync(() => registry.ChangeStageAsync(kind, name, version.SemanticVersion, Stages.Deprecated, reason, Actor, ct)))
                continue;
            if (await TryAsync(() => lifecycle.ArchiveAsync(kind, name, version.SemanticVersion, reason, Actor, ct)))
                archived.Add(version.SemanticVersion);
        }

        var orphans = await OrphanFiles.RemoveAsync(lake, services.GetRequiredService<ProjectLake>().Archive.Cold, kind, name, now - options.Value.OrphanMinAge, ct);
        return new RetentionReport(purged, archived, orphans);
    }

    /// <summary>A refusal (in use, aliased meanwhile, the newest) skips the version until a later pass.</summary>
    private async Task<bool> TryAsync<T>(Func<Task<T>> change)
    {
        try
        {
            await change();
            return true;
        }
        catch (RegistryException e)
        {
            logger.LogInformation("Retention skipped a change: {Reason}", e.Message);
            return false;
        }
    }
}
