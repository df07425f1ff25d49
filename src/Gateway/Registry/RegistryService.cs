using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry;

/// <summary>A version this one was made from: a dataset read (<c>input</c>) or a model loaded (<c>parent</c>).</summary>
public sealed record VersionSource(EntryKind Kind, string Name, long LanceVersion, string Relation);

/// <summary>Everything known about a committed Lance version when it is registered.</summary>
public sealed record VersionRegistration(
    EntryKind Kind,
    string Name,
    long LanceVersion,
    string Origin,
    string Actor,
    SemanticVersion? Requested = null,
    Guid? TaskId = null,
    string? ScriptPath = null,
    string? ScriptSha256 = null,
    string MetricsJson = "{}",
    string ParamsJson = "{}",
    IReadOnlyList<VersionSource>? Sources = null);

/// <summary>
/// Every change to the registry. Each one runs in a transaction holding the resource's row lock, so changes to one
/// model or dataset (two promotes, a promote and a registration) happen one after the other, never interleaved, and
/// each writes its audit record in the same transaction as the change.
/// </summary>
public sealed class RegistryService(PlatformDbContext db, ProjectScope project, ProjectLake lake, Inference.ModelAliasAnnouncer aliasMoves)
{
    public const string Production = "production";

    public static string KindName(EntryKind kind) => kind == EntryKind.Dataset ? "dataset" : "model";

    /// <summary>
    /// Registers a committed Lance version (idempotent: a version registered already keeps its identity and gains any
    /// provenance it lacked). The semantic version asked for is kept when free, otherwise the next minor is given.
    /// Versions are numbered in commit order: a report that overtakes an older commit's report (a slow consumer, a
    /// lost message) registers the older commits first, and their own reports add their provenance when they come.
    /// </summary>
    public async Task<RegisteredVersion> RegisterAsync(VersionRegistration registration, CancellationToken ct)
    {
        var (kind, name) = (registration.Kind, registration.Name);
        var kindName = KindName(kind);
        var registered = await db.RegistryVersions.AsNoTracking()
            .Where(v => db.RegistryResources.Any(r => r.Id == v.ResourceId && r.Kind == kindName && r.Name == name))
            .Select(v => v.LanceVersion).ToListAsync(ct);
        if (!registered.Contains(registration.LanceVersion))
            foreach (var earlier in (await lake.Catalog.ListVersionsAsync(kind, name, ct)).Where(v => v < registration.LanceVersion && !registered.Contains(v)).Order())
            {
                try
                {
                    // A model commit carries what its script recorded (its requested semantic version among it), so it is
                    // numbered as it asked even when its own report comes later.
                    await RegisterInOrderAsync(kind == EntryKind.Model
                        ? await RegistryReconciler.RecoverModelAsync(lake.Catalog, name, earlier, ct)
                        : new VersionRegistration(kind, name, earlier, "reconciled", RegistryReconciler.Actor), ct);
                }
                catch (Exception e) when (e is InvalidDataException or NotSupportedException or FileNotFoundException or DirectoryNotFoundException)
                {
                    // An older commit that cannot be read (or is gone by now) is the reconciler's to flag; it must not block this one.
                }
            }
        return await RegisterInOrderAsync(registration, ct);
    }

    private async Task<RegisteredVersion> RegisterInOrderAsync(VersionRegistration registration, CancellationToken ct)
    {
        var (kind, name) = (registration.Kind, registration.Name);
        var sources = new List<(RegisteredVersion Version, string Relation)>();
        foreach (var source in registration.Sources ?? [])
            if ((source.Kind, source.Name, source.LanceVersion) != (kind, name, registration.LanceVersion)
                && await EnsureRegisteredAsync(source.Kind, source.Name, source.LanceVersion, registration.Actor, ct) is { } registered)
                sources.Add((registered, source.Relation));
        // Hashing reads the lake, which can take a while: done before the lock is taken.
        var sha256 = await lake.Catalog.ContentHashAsync(kind, name, registration.LanceVersion, ct);

        return await InTransactionAsync(async () =>
        {
            var resource = await LockOrCreateAsync(kind, name, ct);
            var version = await db.RegistryVersions.SingleOrDefaultAsync(v => v.ResourceId == resource.Id && v.LanceVersion == registration.LanceVersion, ct);
            if (version is null)
            {
                var taken = (await db.RegistryVersions.Where(v => v.ResourceId == resource.Id).Select(v => new { v.Major, v.Minor, v.Patch }).ToListAsync(ct))
                    .Select(v => new SemanticVersion(v.Major, v.Minor, v.Patch)).ToList();
                var semantic = registration.Requested is { } requested && !taken.Contains(requested) ? requested : SemanticVersion.NextAfter(taken);
                version = new RegisteredVersion
                {
                    ResourceId = resource.Id,
                    LanceVersion = registration.LanceVersion,
                    SemanticVersion = semantic.ToString(),
                    Major = semantic.Major,
                    Minor = semantic.Minor,
                    Patch = semantic.Patch,
                    Sha256 = sha256,
                    Stage = Stages.Registered,
                    Origin = registration.Origin,
                    CreatedByTaskId = registration.TaskId,
                    ScriptPath = registration.ScriptPath,
                    ScriptSha256 = registration.ScriptSha256,
                    CreatedAt = DateTimeOffset.UtcNow,
                    MetricsJson = registration.MetricsJson,
                    ParamsJson = registration.ParamsJson,
                };
                db.RegistryVersions.Add(version);
                await db.SaveChangesAsync(ct);
                var reason = registration.Requested is { } asked && asked != semantic
                    ? $"version {asked} was asked for but is taken; registered as {semantic}"
                    : null;
                Audit(kind, name, version.SemanticVersion, "registered", registration.Actor, reason, null, Snapshot(version));
            }
            else if (version.DataMissing)
            {
                await RebindAsync(kind, name, version, registration, sha256, ct);
            }
            else if (registration.TaskId is not null && registration.Origin != "reconciled"
                     && (version.CreatedByTaskId is null || version.Origin == "reconciled"))
            {
                // Reconciliation found the commit before the task's report arrived (a model's with what its row recorded):
                // the report adds what it knows, and says where the version came from.
                TakeProvenance(version, registration);
            }
            var known = await db.RegistryLineage.Where(e => e.VersionId == version.Id).ToListAsync(ct);
            foreach (var (source, relation) in sources)
                if (!known.Any(e => e.SourceVersionId == source.Id && e.Relation == relation))
                    db.RegistryLineage.Add(new LineageEdge { VersionId = version.Id, SourceVersionId = source.Id, Relation = relation });
            await db.SaveChangesAsync(ct);
            return version;
        }, ct);
    }

    /// <summary>
    /// A version flagged as missing from the lake was committed again: the lake lost the version (or was swapped for
    /// another, as when <c>eng/run.sh --lake</c> switches between a local lake and S3 on one database) and a writer made
    /// the same version number anew. Its data back unchanged clears the flag; other data takes over the row, as the
    /// version the lake now holds: its provenance is the new writer's, and the aliases and lineage that described the
    /// lost content are dropped (audited as <c>replaced</c>).
    /// </summary>
    private async Task RebindAsync(EntryKind kind, string name, RegisteredVersion version, VersionRegistration registration, string sha256, CancellationToken ct)
    {
        if (version.Sha256 == sha256)
        {
            FlagDataMissing(kind, name, version, missing: false, registration.Actor);
            return;
        }
        var before = Snapshot(version);
        version.DataMissing = false;
        version.Sha256 = sha256;
        version.Stage = Stages.Registered;
        TakeProvenance(version, registration);
        version.CreatedAt = DateTimeOffset.UtcNow;
        db.RegistryAliases.RemoveRange(await db.RegistryAliases.Where(a => a.VersionId == version.Id).ToListAsync(ct));
        db.RegistryLineage.RemoveRange(await db.RegistryLineage.Where(e => e.VersionId == version.Id).ToListAsync(ct));
        Audit(kind, name, version.SemanticVersion, "replaced", registration.Actor,
            $"lance version {version.LanceVersion} was missing from the lake and was committed again with other data", before, Snapshot(version));
    }

    /// <summary>
    /// The registry row of a version, registering it (as found in the lake) when it has none yet; null when it was
    /// never registered and the lake does not have it either.
    /// </summary>
    public async Task<RegisteredVersion?> EnsureRegisteredAsync(EntryKind kind, string name, long lanceVersion, string actor, CancellationToken ct)
    {
        var kindName = KindName(kind);
        var existing = await db.RegistryVersions.AsNoTracking()
            .Where(v => v.LanceVersion == lanceVersion && db.RegistryResources.Any(r => r.Id == v.ResourceId && r.Kind == kindName && r.Name == name))
            .SingleOrDefaultAsync(ct);
        if (existing is not null) return existing;
        if (!(await lake.Catalog.ListVersionsAsync(kind, name, ct)).Contains(lanceVersion)) return null;
        return await RegisterAsync(new VersionRegistration(kind, name, lanceVersion, "reconciled", actor), ct);
    }

    public Task<RegisteredVersion> ChangeStageAsync(EntryKind kind, string name, string selector, string stage, string? reason, string actor,
        CancellationToken ct) =>
        InTransactionAsync(async () =>
        {
            if (!Stages.All.Contains(stage)) throw RegistryException.BadRequest($"field 'stage' must be one of {string.Join(", ", Stages.All)}; got '{stage}'");
            var resource = await LockAsync(kind, name, ct);
            var version = await FindVersionAsync(kind, resource, selector, ct);
            await EnsureCanBecomeAsync(kind, name, version, stage, ct);
            SetStage(kind, name, version, stage, reason, actor);
            await db.SaveChangesAsync(ct);
            return version;
        }, ct);

    /// <summary>Refuses a stage change the lifecycle does not allow, or one that would leave an alias pointing at an unusable version.</summary>
    internal async Task EnsureCanBecomeAsync(EntryKind kind, string name, RegisteredVersion version, string stage, CancellationToken ct)
    {
        if (!Stages.CanMove(version.Stage, stage))
        {
            var allowed = Stages.AllowedFrom(version.Stage);
            throw new RegistryException(409, RegistryErrorCodes.InvalidTransition,
                $"{RegistryException.Noun(kind)} {name}:{version.SemanticVersion} is {version.Stage} and cannot become {stage}; " +
                (allowed.Count == 0 ? $"{version.Stage} is final" : $"from {version.Stage} it can become {string.Join(" or ", allowed)}"));
        }
        var aliases = await db.RegistryAliases.Where(a => a.VersionId == version.Id).Select(a => a.Alias).ToListAsync(ct);
        if ((!Stages.IsReadable(stage) && aliases.Count > 0) || (stage != Stages.Active && aliases.Contains(Production)))
            throw new RegistryException(409, RegistryErrorCodes.VersionAliased,
                $"{RegistryException.Noun(kind)} {name}:{version.SemanticVersion} is what {string.Join(", ", aliases)} point{(aliases.Count == 1 ? "s" : "")} at; move the alias first");
    }

    /// <summary>
    /// Points an alias at a version. Moving <c>production</c> is a promote: the target becomes active and the version it
    /// replaces deprecated. A rollback is the same move, restricted to a version older than the alias' current one.
    /// </summary>
    public Task<AliasMove> MoveAliasAsync(EntryKind kind, string name, string alias, string selector, string? reason, string actor, bool rollback,
        CancellationToken ct) =>
        AnnouncedAsync(kind, name, alias, ct, () => InTransactionAsync(async () =>
        {
            ValidateAlias(alias);
            var resource = await LockAsync(kind, name, ct);
            var target = await FindVersionAsync(kind, resource, selector, ct);
            if (!Stages.IsReadable(target.Stage) || target.DataMissing) throw RegistryException.NotReadable(kind, name, target);
            var pointer = await db.RegistryAliases.SingleOrDefaultAsync(a => a.ResourceId == resource.Id && a.Alias == alias, ct);
            var previous = pointer is null ? null : await db.RegistryVersions.SingleAsync(v => v.Id == pointer.VersionId, ct);
            if (rollback)
            {
                if (previous is null)
                    throw new RegistryException(404, RegistryErrorCodes.AliasNotFound, $"{RegistryException.Noun(kind)} '{name}' has no alias '{alias}' to roll back");
                if (target.LanceVersion >= previous.LanceVersion)
                    throw new RegistryException(409, RegistryErrorCodes.InvalidTransition,
                        $"a rollback goes to an earlier version: {alias} is at {previous.SemanticVersion}, and {target.SemanticVersion} is not older");
            }
            if (previous?.Id == target.Id) return new AliasMove(alias, target, previous);

            if (pointer is null)
                db.RegistryAliases.Add(pointer = new RegistryAlias { ResourceId = resource.Id, Alias = alias, VersionId = target.Id, UpdatedAt = DateTimeOffset.UtcNow });
            else
            {
                pointer.VersionId = target.Id;
                pointer.UpdatedAt = DateTimeOffset.UtcNow;
            }
            Audit(kind, name, target.SemanticVersion, rollback ? "rollback" : "alias_moved", actor, reason,
                previous is null ? null : AliasSnapshot(alias, previous), AliasSnapshot(alias, target));
            if (alias == Production)
            {
                if (target.Stage != Stages.Active) SetStage(kind, name, target, Stages.Active, $"{(rollback ? "rolled back" : "promoted")} to {Production}", actor);
                if (previous is { Stage: Stages.Active })
                    SetStage(kind, name, previous, Stages.Deprecated, $"replaced as {Production} by {target.SemanticVersion}", actor);
            }
            await db.SaveChangesAsync(ct);
            return new AliasMove(alias, target, previous);
        }, ct));

    public Task DeleteAliasAsync(EntryKind kind, string name, string alias, string? reason, string actor, CancellationToken ct) =>
        AnnouncedAsync(kind, name, alias, ct, () => InTransactionAsync(async () =>
        {
            ValidateAlias(alias);
            var resource = await LockAsync(kind, name, ct);
            var pointer = await db.RegistryAliases.SingleOrDefaultAsync(a => a.ResourceId == resource.Id && a.Alias == alias, ct)
                          ?? throw new RegistryException(404, RegistryErrorCodes.AliasNotFound, $"{RegistryException.Noun(kind)} '{name}' has no alias '{alias}'");
            var version = await db.RegistryVersions.SingleAsync(v => v.Id == pointer.VersionId, ct);
            db.RegistryAliases.Remove(pointer);
            Audit(kind, name, version.SemanticVersion, "alias_deleted", actor, reason, AliasSnapshot(alias, version), null);
            await db.SaveChangesAsync(ct);
            return true;
        }, ct));

    /// <summary>Once an alias change is committed, the services that follow the alias hear where it points now.</summary>
    private async Task<T> AnnouncedAsync<T>(EntryKind kind, string name, string alias, CancellationToken ct, Func<Task<T>> change)
    {
        var result = await change();
        await aliasMoves.AnnounceAsync(kind, name, alias, ct);
        return result;
    }

    /// <summary>
    /// Adds an evaluation's metrics to a model version's (a metric measured again replaces the old value), with an
    /// <c>evaluated</c> audit record naming the datasets and the task. Repeating it changes nothing more.
    /// </summary>
    public async Task<RegisteredVersion?> RecordEvaluationAsync(string name, long lanceVersion, JsonObject metrics, string evaluatedOn, string actor,
        CancellationToken ct)
    {
        if (await EnsureRegisteredAsync(EntryKind.Model, name, lanceVersion, actor, ct) is null) return null;
        return await InTransactionAsync(async () =>
        {
            var resource = await LockAsync(EntryKind.Model, name, ct);
            var version = await db.RegistryVersions.SingleAsync(v => v.ResourceId == resource.Id && v.LanceVersion == lanceVersion, ct);
            var merged = JsonNode.Parse(version.MetricsJson) as JsonObject ?? [];
            var before = merged.ToJsonString();
            foreach (var (metric, value) in metrics) merged[metric] = value?.DeepClone();
            if (merged.ToJsonString() == before) return version;
            version.MetricsJson = merged.ToJsonString();
            Audit(EntryKind.Model, name, version.SemanticVersion, "evaluated", actor, $"evaluated on {evaluatedOn}",
                JsonSerializer.Serialize(new { metrics = JsonNode.Parse(before) }), JsonSerializer.Serialize(new { metrics = merged }));
            await db.SaveChangesAsync(ct);
            return version;
        }, ct);
    }

    /// <summary>Marks (or clears) a version whose data the lake does not (or again does) have.</summary>
    public Task SetDataMissingAsync(EntryKind kind, string name, long lanceVersion, bool missing, string actor, CancellationToken ct) =>
        InTransactionAsync(async () =>
        {
            var resource = await LockAsync(kind, name, ct);
            var version = await db.RegistryVersions.SingleAsync(v => v.ResourceId == resource.Id && v.LanceVersion == lanceVersion, ct);
            if (version.DataMissing == missing) return false;
            FlagDataMissing(kind, name, version, missing, actor);
            await db.SaveChangesAsync(ct);
            return true;
        }, ct);

    private void FlagDataMissing(EntryKind kind, string name, RegisteredVersion version, bool missing, string actor)
    {
        version.DataMissing = missing;
        Audit(kind, name, version.SemanticVersion, missing ? "data_missing" : "data_found", actor,
            missing ? "the lake has no committed data for this version" : "the lake has this version's data again",
            JsonSerializer.Serialize(new { data_missing = !missing }), JsonSerializer.Serialize(new { data_missing = missing }));
    }

    /// <summary>Where a version came from, as a task's report (or reconciliation) tells it.</summary>
    private static void TakeProvenance(RegisteredVersion version, VersionRegistration registration)
    {
        version.Origin = registration.Origin;
        version.CreatedByTaskId = registration.TaskId;
        version.ScriptPath = registration.ScriptPath;
        version.ScriptSha256 = registration.ScriptSha256;
        version.MetricsJson = registration.MetricsJson;
        version.ParamsJson = registration.ParamsJson;
    }

    /// <summary>A version of a locked resource by semantic version (<c>1.4.0</c>) or Lance version number (<c>3</c>).</summary>
    internal async Task<RegisteredVersion> FindVersionAsync(EntryKind kind, RegisteredResource resource, string selector, CancellationToken ct)
    {
        RegisteredVersion? version;
        if (SemanticVersion.TryParse(selector, out var semantic))
            version = await db.RegistryVersions.SingleOrDefaultAsync(v => v.ResourceId == resource.Id && v.SemanticVersion == semantic.ToString(), ct);
        else if (long.TryParse(selector, out var number))
            version = await db.RegistryVersions.SingleOrDefaultAsync(v => v.ResourceId == resource.Id && v.LanceVersion == number, ct);
        else
            throw RegistryException.BadRequest($"version '{selector}' must be a semantic version (1.4.0) or a version number (3)");
        return version ?? throw RegistryException.VersionNotFound(kind, resource.Name, selector);
    }

    private void SetStage(EntryKind kind, string name, RegisteredVersion version, string stage, string? reason, string actor)
    {
        var before = JsonSerializer.Serialize(new { stage = version.Stage });
        version.Stage = stage;
        Audit(kind, name, version.SemanticVersion, "stage_changed", actor, reason, before, JsonSerializer.Serialize(new { stage }));
    }

    internal void Audit(EntryKind kind, string name, string? semanticVersion, string action, string actor, string? reason, string? before, string? after) =>
        db.RegistryAudit.Add(new RegistryAuditRecord
        {
            Kind = KindName(kind), Name = name, SemanticVersion = semanticVersion, Action = action, Actor = actor, At = DateTimeOffset.UtcNow,
            Reason = reason, BeforeJson = before, AfterJson = after,
        });

    private static string Snapshot(RegisteredVersion v) =>
        JsonSerializer.Serialize(new { version = v.SemanticVersion, lance_version = v.LanceVersion, stage = v.Stage, sha256 = v.Sha256, origin = v.Origin });

    private static string AliasSnapshot(string alias, RegisteredVersion v) =>
        JsonSerializer.Serialize(new { alias, version = v.SemanticVersion, lance_version = v.LanceVersion });

    private static void ValidateAlias(string alias)
    {
        try
        {
            LakeReference.ValidateAlias(alias);
        }
        catch (ArgumentException e)
        {
            throw RegistryException.BadRequest(e.Message);
        }
    }

    internal async Task<RegisteredResource> LockAsync(EntryKind kind, string name, CancellationToken ct) =>
        (await LockRowsAsync(kind, name, ct)).SingleOrDefault() ?? throw RegistryException.ResourceNotFound(kind, name);

    private Task<List<RegisteredResource>> LockRowsAsync(EntryKind kind, string name, CancellationToken ct) =>
        db.RegistryResources
            .FromSql($"""SELECT * FROM registry_resources WHERE "Project" = {project.Required} AND "Kind" = {KindName(kind)} AND "Name" = {name} FOR UPDATE""")
            .ToListAsync(ct);

    private async Task<RegisteredResource> LockOrCreateAsync(EntryKind kind, string name, CancellationToken ct)
    {
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
             INSERT INTO registry_resources ("Project", "Kind", "Name", "CreatedAt") VALUES ({project.Required}, {KindName(kind)}, {name}, {DateTimeOffset.UtcNow})
             ON CONFLICT ("Project", "Kind", "Name") DO NOTHING
             """,
            ct);
        return await LockAsync(kind, name, ct);
    }

    internal async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        try
        {
            var result = await work();
            await Hooks.HookOutbox.EnqueueAsync(db, ct);
            await transaction.CommitAsync(ct);
            return result;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }
}

public sealed record AliasMove(string Alias, RegisteredVersion Target, RegisteredVersion? Previous);
