using AiPlatform.Gateway.Api;
using AiPlatform.Lake.Catalog;

namespace AiPlatform.Gateway.Registry;

/// <summary>Why a lifecycle change was made; recorded in the audit log.</summary>
public sealed record LifecycleRequest(string? Reason);

/// <summary>Archive, restore and delete of one version: <c>/api/v1/{datasets|models}/{name}/versions/{version}/...</c>.</summary>
public static class RegistryLifecycleEndpoints
{
    public static void MapLifecycle(RouteGroupBuilder group, EntryKind kind, string noun)
    {
        group.MapPost("/versions/{version}/archive", async (string name, string version, LifecycleRequest? body, HttpContext http,
                RegistryLifecycle lifecycle, RegistryQueries queries, CancellationToken ct) =>
            {
                var archived = await lifecycle.ArchiveAsync(kind, RegistryEndpoints.ValidName(kind, name), version, body?.Reason, RegistryEndpoints.Actor(http), ct);
                return Results.Ok(await queries.ViewAsync(kind, name, archived, ct));
            })
            .WithName($"Archive{noun}Version").WithSummary("Moves the files only this version needs to cold storage; the version becomes archived")
            .Accepts<LifecycleRequest>("application/json")
            .Produces<VersionView>().Produces<ApiError>(400).Produces<ApiError>(404).Produces<ApiError>(409);

        group.MapPost("/versions/{version}/restore", async (string name, string version, LifecycleRequest? body, HttpContext http,
                RegistryLifecycle lifecycle, RegistryQueries queries, CancellationToken ct) =>
            {
                var restored = await lifecycle.RestoreAsync(kind, RegistryEndpoints.ValidName(kind, name), version, body?.Reason, RegistryEndpoints.Actor(http), ct);
                return Results.Ok(await queries.ViewAsync(kind, name, restored, ct));
            })
            .WithName($"Restore{noun}Version")
            .WithSummary("Brings an archived version's files back bit-exact, or undoes a soft delete; the version becomes deprecated")
            .Accepts<LifecycleRequest>("application/json")
            .Produces<VersionView>().Produces<ApiError>(400).Produces<ApiError>(404).Produces<ApiError>(409);

        group.MapDelete("/versions/{version}", async (string name, string version, bool? hard, string? reason, HttpContext http,
                RegistryLifecycle lifecycle, RegistryQueries queries, CancellationToken ct) =>
            {
                var outcome = await lifecycle.DeleteVersionAsync(kind, RegistryEndpoints.ValidName(kind, name), version, hard ?? false, reason,
                    RegistryEndpoints.Actor(http), ct);
                return outcome.Hard ? Results.NoContent() : Results.Ok(await queries.ViewAsync(kind, name, outcome.Version, ct));
            })
            .WithName($"Delete{noun}Version")
            .WithSummary("Soft delete (restorable for Registry:SoftDeleteDays), or with ?hard=true removes its data and registry row")
            .Produces<VersionView>().Produces(204).Produces<ApiError>(400).Produces<ApiError>(404).Produces<ApiError>(409);
    }

    public static void MapRetention(RouteGroupBuilder group, EntryKind kind, string noun)
    {
        group.MapGet("/retention", async (string name, RegistryQueries queries, RegistryLifecycle lifecycle, CancellationToken ct) =>
                Results.Ok(lifecycle.RetentionOf(await queries.FindResourceAsync(kind, RegistryEndpoints.ValidName(kind, name), ct)
                                                 ?? throw RegistryException.ResourceNotFound(kind, name))))
            .WithName($"Get{noun}Retention").Produces<RetentionView>().Produces<ApiError>(404);

        group.MapPut("/retention", async (string name, RetentionRequest? body, HttpContext http, RegistryLifecycle lifecycle, CancellationToken ct) =>
                Results.Ok(await lifecycle.SetRetentionAsync(kind, RegistryEndpoints.ValidName(kind, name), body ?? new RetentionRequest(null, null, null),
                    RegistryEndpoints.Actor(http), ct)))
            .WithName($"Set{noun}Retention")
            .WithSummary("Retention policy: keep the newest keep_last versions in place, archive the others not read for archive_after_days (30 by default)")
            .Accepts<RetentionRequest>("application/json")
            .Produces<RetentionView>().Produces<ApiError>(400).Produces<ApiError>(404);
    }

    /// <summary>
    /// A stage change that is really an archive, restore or delete does that operation, so the stage never says
    /// archived while the files are still in place, or the other way round.
    /// </summary>
    public static async Task<RegisteredVersion> ChangeStageAsync(EntryKind kind, string name, string version, StageChangeRequest body, string actor,
        RegistryService registry, RegistryLifecycle lifecycle, RegistryQueries queries, CancellationToken ct)
    {
        switch (body.Stage)
        {
            case Stages.Archived:
                return await lifecycle.ArchiveAsync(kind, name, version, body.Reason, actor, ct);
            case Stages.Deleted:
                return (await lifecycle.DeleteVersionAsync(kind, name, version, hard: false, body.Reason, actor, ct)).Version;
            case Stages.Deprecated:
                var resource = await queries.FindResourceAsync(kind, name, ct) ?? throw RegistryException.ResourceNotFound(kind, name);
                if ((await queries.VersionAsync(kind, resource, version, ct)).Stage is Stages.Archived or Stages.Deleted)
                    return await lifecycle.RestoreAsync(kind, name, version, body.Reason, actor, ct);
                break;
        }
        return await registry.ChangeStageAsync(kind, name, version, body.Stage!, body.Reason, actor, ct);
    }
}
