using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Registry.Hooks;
using AiPlatform.Lake.Catalog;

namespace AiPlatform.Gateway.Registry;

/// <summary>
/// Versions, stages, aliases, rollback and audit of datasets and models, the same routes for both:
/// <c>/api/v1/{datasets|models}/{name}/...</c>.
/// </summary>
public static class RegistryEndpoints
{
    public const int MaxAuditPage = 1000;

    public static IEndpointRouteBuilder MapRegistryEndpoints(this IEndpointRouteBuilder app)
    {
        MapResource(app.MapGroup("/api/v1/datasets/{name}").WithTags("Datasets"), EntryKind.Dataset, "Dataset");
        MapResource(app.MapGroup("/api/v1/models/{name}").WithTags("Models"), EntryKind.Model, "Model");
        app.MapHookEndpoints();
        return app;
    }

    private static void MapResource(RouteGroupBuilder group, EntryKind kind, string noun)
    {
        group.AddEndpointFilter<RegistryErrorFilter>();
        group.MapGet("/versions", async (string name, string? stage, RegistryQueries queries, CancellationToken ct) =>
            {
                if (stage is not null && !Stages.All.Contains(stage))
                    throw RegistryException.BadRequest($"query 'stage' must be one of {string.Join(", ", Stages.All)}");
                return Results.Ok(await queries.VersionsAsync(kind, await ResourceAsync(kind, name, queries, ct), stage, ct));
            })
            .WithName($"List{noun}Versions").Produces<IReadOnlyList<VersionView>>().Produces<ApiError>(400).Produces<ApiError>(404);

        group.MapGet("/versions/{version}", async (string name, string version, RegistryQueries queries, CancellationToken ct) =>
                Results.Ok(await queries.VersionAsync(kind, await ResourceAsync(kind, name, queries, ct), version, ct)))
            .WithName($"Get{noun}Version").Produces<VersionView>().Produces<ApiError>(400).Produces<ApiError>(404);

        group.MapPost("/versions/{version}/stage", async (string name, string version, StageChangeRequest? body, HttpContext http,
                RegistryService registry, RegistryLifecycle lifecycle, RegistryQueries queries, HookGate gate, CancellationToken ct) =>
            {
                if (string.IsNullOrWhiteSpace(body?.Stage)) throw RegistryException.BadRequest("field 'stage' is required");
                if (body.Stage == Stages.Active) await gate.CheckAsync(kind, ValidName(kind, name), null, version, Actor(http), body.Reason, ct);
                var changed = await RegistryLifecycleEndpoints.ChangeStageAsync(kind, ValidName(kind, name), version, body, Actor(http), registry, lifecycle,
                    queries, ct);
                return Results.Ok(await queries.ViewAsync(kind, name, changed, ct));
            })
            .WithName($"Change{noun}VersionStage").Accepts<StageChangeRequest>("application/json")
            .Produces<VersionView>().Produces<ApiError>(400).Produces<ApiError>(404).Produces<ApiError>(409);

        RegistryLifecycleEndpoints.MapLifecycle(group, kind, noun);
        RegistryLifecycleEndpoints.MapRetention(group, kind, noun);

        group.MapGet("/aliases", async (string name, RegistryQueries queries, CancellationToken ct) =>
                Results.Ok(await queries.AliasesAsync(await ResourceAsync(kind, name, queries, ct), ct)))
            .WithName($"List{noun}Aliases").Produces<IReadOnlyList<AliasView>>().Produces<ApiError>(404);

        group.MapPut("/aliases/{alias}", async (string name, string alias, AliasRequest? body, HttpContext http, RegistryService registry,
                RegistryQueries queries, HookGate gate, CancellationToken ct) =>
            {
                if (string.IsNullOrWhiteSpace(body?.Version)) throw RegistryException.BadRequest("field 'version' is required");
                await gate.CheckAsync(kind, ValidName(kind, name), alias, body.Version, Actor(http), body.Reason, ct);
                var move = await registry.MoveAliasAsync(kind, ValidName(kind, name), alias, body.Version, body.Reason, Actor(http), rollback: false, ct);
                return Results.Ok(new AliasMoveView(alias, await queries.ViewAsync(kind, name, move.Target, ct), move.Previous?.SemanticVersion));
            })
            .WithName($"Set{noun}Alias").Accepts<AliasRequest>("application/json")
            .Produces<AliasMoveView>().Produces<ApiError>(400).Produces<ApiError>(404).Produces<ApiError>(409);

        group.MapDelete("/aliases/{alias}", async (string name, string alias, string? reason, HttpContext http, RegistryService registry, CancellationToken ct) =>
            {
                await registry.DeleteAliasAsync(kind, ValidName(kind, name), alias, reason, Actor(http), ct);
                return Results.NoContent();
            })
            .WithName($"Delete{noun}Alias").Produces(204).Produces<ApiError>(400).Produces<ApiError>(404);

        group.MapPost("/rollback", async (string name, RollbackRequest? body, HttpContext http, RegistryService registry, RegistryQueries queries,
                HookGate gate, CancellationToken ct) =>
            {
                if (string.IsNullOrWhiteSpace(body?.Alias)) throw RegistryException.BadRequest("field 'alias' is required");
                if (string.IsNullOrWhiteSpace(body.ToVersion)) throw RegistryException.BadRequest("field 'to_version' is required");
                await gate.CheckAsync(kind, ValidName(kind, name), body.Alias, body.ToVersion, Actor(http), body.Reason, ct);
                var move = await registry.MoveAliasAsync(kind, ValidName(kind, name), body.Alias, body.ToVersion, body.Reason, Actor(http), rollback: true, ct);
                return Results.Ok(new AliasMoveView(body.Alias, await queries.ViewAsync(kind, name, move.Target, ct), move.Previous?.SemanticVersion));
            })
            .WithName($"Rollback{noun}Alias").Accepts<RollbackRequest>("application/json")
            .Produces<AliasMoveView>().Produces<ApiError>(400).Produces<ApiError>(404).Produces<ApiError>(409);

        group.MapGet("/audit", async (string name, DateTimeOffset? since, DateTimeOffset? until, int? limit, RegistryQueries queries, CancellationToken ct) =>
            {
                if (limit is < 1 or > MaxAuditPage) throw RegistryException.BadRequest($"query 'limit' must be between 1 and {MaxAuditPage}");
                var records = await queries.AuditAsync(kind, ValidName(kind, name), since, until, limit ?? MaxAuditPage, ct);
                // The audit outlives the resource; only a name the registry never heard of is unknown.
                if (records.Count == 0 && await queries.FindResourceAsync(kind, name, ct) is null && since is null && until is null)
                    throw RegistryException.ResourceNotFound(kind, name);
                return Results.Ok(records);
            })
            .WithName($"Get{noun}Audit").Produces<IReadOnlyList<AuditView>>().Produces<ApiError>(400).Produces<ApiError>(404);
    }

    /// <summary>Who made a change: the authenticated user once authentication exists, else "anonymous".</summary>
    public static string Actor(HttpContext http) => http.User.Identity?.Name is { Length: > 0 } user ? user : "anonymous";

    private static async Task<RegisteredResource> ResourceAsync(EntryKind kind, string name, RegistryQueries queries, CancellationToken ct) =>
        await queries.FindResourceAsync(kind, ValidName(kind, name), ct) ?? throw RegistryException.ResourceNotFound(kind, name);

    internal static string ValidName(EntryKind kind, string name)
    {
        try
        {
            return LakeCatalog.ValidateName(name);
        }
        catch (ArgumentException)
        {
            throw RegistryException.ResourceNotFound(kind, name);
        }
    }
}
