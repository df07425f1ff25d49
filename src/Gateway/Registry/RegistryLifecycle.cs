using System.Text.Json;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Registry;

/// <summary>
/// Archive, restore and delete of versions and whole datasets or models. Each runs like every registry change: in a
/// transaction holding the resource's row lock, with its audit record; the lake's part happens under that lock, and
/// its own journal (the archive record) lets reconciliation finish or undo it after a crash.
/// </summary>
public sealed class RegistryLifecycle(PlatformDbContext db, ProjectScope project, RegistryService registry, ProjectLake lake, VersionUsage usage,
    IOptions<RegistryOptions> options, TimeProvider clock)
{
    public TimeSpan SoftDeleteTime => TimeSpan.FromDays(options.Value.SoftDeleteDays);

    /// <summary>Moves the files only this version needs to cold storage; the version becomes archived and cannot be read until restored.</summary>
    public Task<RegisteredVersion> ArchiveAsync(EntryKind kind, string name, string selector, string? reason, string actor, CancellationToken ct) =>
        registry.InTransactionAsync(async () =>
        {
            var resource = await registry.LockAsync(kind, name, ct);
            var version = await registry.FindVersionAsync(kind, resource, selector, ct);
            await registry.EnsureCanBecomeAsync(kind, name, version, Stages.Archived, ct);
            VersionUsage.EnsureUnused(Describe(kind, name, version), "archived", await usage.UsersOfVersionAsync(kind, name, version.LanceVersion, ct));
            var committed = await lake.Catalog.ListVersionsAsync(kind, name, ct);
            if (committed.Count > 0 && committed[^1] == version.LanceVersion)
                throw new RegistryException(409, RegistryErrorCodes.NewestVersion,
                    $"{Describe(kind, name, version)} is the newest version in the lake: the next write builds on its files, so it stays in place; write a newer version first");
            var archivedOrGone = await db.RegistryVersions.Where(v => v.ResourceId == resource.Id && v.Stage == Stages.Archived)
                .Select(v => v.LanceVersion).ToListAsync(ct);
            var keepInPlace = committed.Where(c => c != version.LanceVersion && !archivedOrGone.Contains(c)).ToList();

            var record = await lake.Archive.ArchiveAsync(kind, name, version.LanceVersion, keepInPlace, ct);
            var before = StageJson(version);
            Move(version, Stages.Archived);
            registry.Audit(kind, name, version.SemanticVersion, "archived", actor, reason, before, JsonSerializer.Serialize(new
            {
                stage = version.Stage, cold_location = record.ColdLocation, moved_files = record.Files.Count, moved_bytes = record.Bytes,
            }));
            await db.SaveChangesAsync(ct);
            return version;
        }, ct);

    /// <summary>
    /// Brings an archived version's files back (bit-exact, verified by sha256) or undoes a soft delete still within
    /// <see cref="RegistryOptions.SoftDeleteDays"/>; the version becomes deprecated and readable again.
    /// </summary>
    public Task<RegisteredVersion> RestoreAsync(EntryKind kind, string name, string selector, string? reason, string actor, CancellationToken ct) =>
        registry.InTransactionAsync(async () =>
        {
            var resource = await registry.LockAsync(kind, name, ct);
            var version = await registry.FindVersionAsync(kind, resource, selector, ct);
            if (version.Stage is not (Stages.Archived or Stages.Deleted))
                throw new RegistryException(409, RegistryErrorCodes.InvalidTransition,
                    $"{Describe(kind, name, version)} is {version.Stage}; only archived or deleted versions can be restored");
            if (version.Stage == Stages.Deleted && version.StageChangedAt is { } deletedAt && deletedAt + SoftDeleteTime < clock.GetUtcNow())
                throw new RegistryException(409, RegistryErrorCodes.RestoreExpired,
                    $"{Describe(kind, name, version)} was deleted at {deletedAt:u}, more than {options.Value.SoftDeleteDays} day(s) ago; it can no longer be restored");
            var record = await lake.Archive.RestoreAsync(kind, name, version.LanceVersion, ct);
            var before = StageJson(version);
            Move(version, Stages.Deprecated);
            registry.Audit(kind, name, version.SemanticVersion, "restored", actor, reason, before, JsonSerializer.Serialize(new
            {
                stage = version.Stage, restored_files = record?.Files.Count ?? 0, restored_bytes = record?.Bytes ?? 0,
            }));
            await db.SaveChangesAsync(ct);
            return version;
        }, ct);

    /// <summary>
    /// Soft delete (stage deleted, restorable for the soft-delete time) or, with <paramref name="hard"/>, removal of its
    /// data and registry row. Refused while a running task or service uses it or an alias points at it.
    /// </summary>
    public Task<DeleteOutcome> DeleteVersionAsync(EntryKind kind, string name, string selector, bool hard, string? reason, string actor, CancellationToken ct) =>
        registry.InTransactionAsync(async () =>
        {
            var resource = await registry.LockAsync(kind, name, ct);
            var version = await registry.FindVersionAsync(kind, resource, selector, ct);
            if (version.Stage != Stages.Deleted) await registry.EnsureCanBecomeAsync(kind, name, version, Stages.Deleted, ct);
            VersionUsage.EnsureUnused(Describe(kind, name, version), "deleted", await usage.UsersOfVersionAsync(kind, name, version.LanceVersion, ct));
            if (hard) await PurgeAsync(kind, name, version, reason, actor, ct);
            else if (version.Stage != Stages.Deleted) SoftDelete(kind, name, version, reason, actor);
            await db.SaveChangesAsync(ct);
            return new DeleteOutcome(version, hard);
        }, ct);

    /// <summary>Every version of a dataset or model: soft-deleted (aliases removed), or with <paramref name="hard"/> gone with its data.</summary>
    public Task<bool> DeleteResourceAsync(EntryKind kind, string name, bool hard, string? reason, string actor, CancellationToken ct) =>
        registry.InTransactionAsync(async () =>
        {
            var resource = (await db.RegistryResources.FromSql(
                    $"""
                     SELECT * FROM registry_resources WHERE "Project" = {project.Required} AND "Kind" = {RegistryService.KindName(kind)} AND "Name" = {name}
                     FOR UPDATE
                     """).ToListAsync(ct))
                .SingleOrDefault();
            var inLake = (await lake.Catalog.ListVersionsAsync(kind, name, ct)).Count > 0;
            if (resource is null && !inLake) throw RegistryException.ResourceNotFound(kind, name);
            VersionUsage.EnsureUnused($"{RegistryException.Noun(kind)} '{name}'", "deleted", await usage.UsersOfResourceAsync(kind, name, ct));
            if (hard)
            {
                await lake.Archive.DeleteAllAsync(kind, name, ct);
                if (resource is not null)
                {
                    var versions = await db.RegistryVersions.Where(v => v.ResourceId == resource.Id).OrderBy(v => v.LanceVersion)
                        .Select(v => v.SemanticVersion).ToListAsync(ct);
                    db.RegistryResources.Remove(resource);
                    registry.Audit(kind, name, null, "purged", actor, reason, JsonSerializer.Serialize(new { versions }), null);
                }
            }
            else if (resource is not null)
            {
                foreach (var pointer in await db.RegistryAliases.Where(a => a.ResourceId == resource.Id).ToListAsync(ct))
                {
                    var target = await db.RegistryVersions.SingleAsync(v => v.Id == pointer.VersionId, ct);
                    db.RegistryAliases.Remove(pointer);
                    registry.Audit(kind, name, target.SemanticVersion, "alias_deleted", actor, reason ?? "the whole resource was deleted",
                        JsonSerializer.Serialize(new { alias = pointer.Alias, version = target.SemanticVersion }), null);
                }
                foreach (var version in await db.RegistryVersions.Where(v => v.ResourceId == resource.Id && v.Stage != Stages.Deleted).ToListAsync(ct))
                    SoftDelete(kind, name, version, reason, actor);
            }
            else
            {
                throw new RegistryException(409, RegistryErrorCodes.VersionNotAvailable,
                    $"{RegistryException.Noun(kind)} '{name}' is not registered yet (its registration follows its commit by a moment); try again, or delete it with ?hard=true");
            }
            await db.SaveChangesAsync(ct);
            return hard;
        }, ct);

    /// <summary>Sets a resource's retention policy; null fields fall back to the defaults.</summary>
    public Task<RetentionView> SetRetentionAsync(EntryKind kind, string name, RetentionRequest request, string actor, CancellationToken ct) =>
        registry.InTransactionAsync(async () =>
        {
            if (request.KeepLast is < 1) throw RegistryException.BadRequest("field 'keep_last' must be at least 1 (or null: no count limit)");
            if (request.ArchiveAfterDays is < 1) throw RegistryException.BadRequest("field 'archive_after_days' must be at least 1 (or null: the default)");
            var resource = await registry.LockAsync(kind, name, ct);
            var before = JsonSerializer.Serialize(RetentionOf(resource));
            resource.KeepLast = request.KeepLast;
            resource.ArchiveAfterDays = request.ArchiveAfterDays;
            var after = RetentionOf(resource);
            registry.Audit(kind, name, null, "retention_set", actor, request.Reason, before, JsonSerializer.Serialize(after));
            await db.SaveChangesAsync(ct);
            return after;
        }, ct);

    public RetentionView RetentionOf(RegisteredResource resource) =>
        new(resource.KeepLast, resource.ArchiveAfterDays ?? options.Value.DefaultArchiveAfterDays, resource.ArchiveAfterDays is null, options.Value.SoftDeleteDays);

    /// <summary>Makes the registry agree with an archive or restore that reconciliation finished after a crash.</summary>
    public Task<bool> SettleRecoveredAsync(EntryKind kind, string name, long lanceVersion, ArchiveRecovery outcome, CancellationToken ct) =>
        registry.InTransactionAsync(async () =>
        {
            var resource = await registry.LockAsync(kind, name, ct);
            var version = await db.RegistryVersions.SingleOrDefaultAsync(v => v.ResourceId == resource.Id && v.LanceVersion == lanceVersion, ct);
            var stage = outcome == ArchiveRecovery.Finished ? Stages.Archived : Stages.Deprecated;
            if (version is null || outcome == ArchiveRecovery.Undone || version.Stage == stage || version.Stage == Stages.Deleted) return false;
            var before = StageJson(version);
            Move(version, stage);
            registry.Audit(kind, name, version.SemanticVersion, outcome == ArchiveRecovery.Finished ? "archived" : "restored", RegistryReconciler.Actor,
                "finished after a crash interrupted it", before, StageJson(version));
            await db.SaveChangesAsync(ct);
            return true;
        }, ct);

    private async Task PurgeAsync(EntryKind kind, string name, RegisteredVersion version, string? reason, string actor, CancellationToken ct)
    {
        var committed = await lake.Catalog.ListVersionsAsync(kind, name, ct);
        if (committed.Count > 0 && committed[^1] == version.LanceVersion)
            throw new RegistryException(409, RegistryErrorCodes.NewestVersion,
                $"{Describe(kind, name, version)} is the newest version in the lake: the next write builds on it, so its data stays; delete it without ?hard=true, or the whole {RegistryException.Noun(kind)}");
        var freed = await lake.Archive.PurgeAsync(kind, name, version.LanceVersion, ct);
        db.RegistryVersions.Remove(version);
        registry.Audit(kind, name, version.SemanticVersion, "purged", actor, reason, JsonSerializer.Serialize(new
        {
            version = version.SemanticVersion, lance_version = version.LanceVersion, stage = version.Stage, sha256 = version.Sha256,
        }), JsonSerializer.Serialize(new { removed_files = freed.Count, removed_bytes = freed.Sum(f => f.SizeBytes) }));
    }

    private void SoftDelete(EntryKind kind, string name, RegisteredVersion version, string? reason, string actor)
    {
        var before = StageJson(version);
        Move(version, Stages.Deleted);
        registry.Audit(kind, name, version.SemanticVersion, "deleted", actor, reason, before, JsonSerializer.Serialize(new
        {
            stage = version.Stage, restorable_until = clock.GetUtcNow() + SoftDeleteTime,
        }));
    }

    private void Move(RegisteredVersion version, string stage)
    {
        version.Stage = stage;
        version.StageChangedAt = clock.GetUtcNow();
    }

    private static string StageJson(RegisteredVersion version) => JsonSerializer.Serialize(new { stage = version.Stage });

    private static string Describe(EntryKind kind, string name, RegisteredVersion version) => $"{RegistryException.Noun(kind)} {name}:{version.SemanticVersion}";
}

public sealed record DeleteOutcome(RegisteredVersion Version, bool Hard);

public sealed record RetentionRequest(int? KeepLast, int? ArchiveAfterDays, string? Reason);

/// <summary>The policy in force: aliased versions and the newest are always kept.</summary>
public sealed record RetentionView(int? KeepLast, int ArchiveAfterDays, bool ArchiveAfterDaysIsDefault, double SoftDeleteDays);
