using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Projects;
using AiPlatform.Gateway.Registry;
using AiPlatform.Lake.Catalog;

namespace AiPlatform.Gateway.Lake;

public sealed record LakeEntryView(
    string Id,
    string Path,
    IReadOnlyDictionary<string, string> Schema,
    [property: JsonPropertyName("num_rows")] long NumRows,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    int Versions,
    [property: JsonPropertyName("latest_version")] long LatestVersion,
    int Fragments,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt,
    string? Architecture,
    JsonObject? Metrics,
    JsonObject? Params,
    JsonObject? Lineage,
    RegistrySummaryView? Registry)
{
    public static LakeEntryView From(LakeEntryInfo e, RegistrySummaryView? registry) => new(e.Id, e.Path, e.Schema, e.NumRows, e.SizeBytes, e.Versions,
        e.LatestVersion, e.Fragments, e.CreatedAt, e.UpdatedAt, e.Model?.Architecture, e.Model?.Metrics, e.Model?.Params, e.Model?.Lineage, registry);
}

/// <summary>
/// Datasets and models in the lake: list (filtered by stage, alias or name prefix), describe, delete; each with the
/// registry's summary. Reads only metadata; the gateway never loads a model.
/// </summary>
public static class LakeEndpoints
{
    public static void MapLakeEndpoints(this IEndpointRouteBuilder app)
    {
        MapKind(app.MapGroup("/api/v1/datasets").WithTags("Datasets"), EntryKind.Dataset, "Datasets");
        MapKind(app.MapGroup("/api/v1/models").WithTags("Models"), EntryKind.Model, "Models");
    }

    private static void MapKind(RouteGroupBuilder group, EntryKind kind, string plural)
    {
        group.MapGet("/", (string? stage, string? alias, string? prefix, ProjectLake lake, RegistryQueries registry, CancellationToken ct) =>
                ListAsync(kind, stage, alias, prefix, lake.Catalog, registry, ct))
            .WithName($"List{plural}").Produces<IEnumerable<LakeEntryView>>().Produces<ApiError>(400);
        group.MapGet("/{id}", (string id, ProjectLake lake, RegistryQueries registry, CancellationToken ct) => DescribeAsync(id, kind, lake.Catalog, registry, ct))
            .Produces<LakeEntryView>().Produces<ApiError>(404);
        group.MapDelete("/{id}", (string id, bool? hard, string? reason, HttpContext http, RegistryLifecycle lifecycle, CancellationToken ct) =>
                DeleteAsync(id, kind, hard ?? false, reason, lifecycle, RegistryEndpoints.Actor(http), ct))
            .WithSummary("Soft-deletes every version (restorable one by one for Registry:SoftDeleteDays); ?hard=true removes data and registry rows")
            .Produces(204).Produces<ApiError>(404).Produces<ApiError>(409);
    }

    /// <summary>stage: having a version in that stage; alias: having that alias; prefix: names starting with it.</summary>
    private static async Task<IResult> ListAsync(EntryKind kind, string? stage, string? alias, string? prefix, LakeCatalog lake, RegistryQueries registry,
        CancellationToken ct)
    {
        if (stage is not null && !Stages.All.Contains(stage))
            return ApiError.BadRequest($"query 'stage' must be one of {string.Join(", ", Stages.All)}");
        var summaries = await registry.SummariesAsync(kind, ct);
        var entries = kind == EntryKind.Dataset ? await lake.ListDatasetsAsync(ct) : await lake.ListModelsAsync(ct);
        return Results.Ok(entries
            .Where(e => prefix is null || e.Id.StartsWith(prefix, StringComparison.Ordinal))
            .Select(e => LakeEntryView.From(e, summaries.GetValueOrDefault(e.Id)))
            .Where(e => stage is null || (e.Registry?.Stages.ContainsKey(stage) ?? false))
            .Where(e => alias is null || (e.Registry?.Aliases.ContainsKey(alias) ?? false)));
    }

    private static async Task<IResult> DescribeAsync(string id, EntryKind kind, LakeCatalog lake, RegistryQueries registry, CancellationToken ct)
    {
        if (!IsValidName(id)) return NotFound(kind, id);
        var entry = kind == EntryKind.Dataset ? await lake.GetDatasetAsync(id, ct) : await lake.GetModelAsync(id, ct);
        return entry is null ? NotFound(kind, id) : Results.Ok(LakeEntryView.From(entry, (await registry.SummariesAsync(kind, ct)).GetValueOrDefault(id)));
    }

    private static async Task<IResult> DeleteAsync(string id, EntryKind kind, bool hard, string? reason, RegistryLifecycle lifecycle, string actor,
        CancellationToken ct)
    {
        if (!IsValidName(id)) return NotFound(kind, id);
        try
        {
            await lifecycle.DeleteResourceAsync(kind, id, hard, reason, actor, ct);
            return Results.NoContent();
        }
        catch (RegistryException e)
        {
            return e.ToResult();
        }
    }

    private static bool IsValidName(string id)
    {
        try
        {
            LakeCatalog.ValidateName(id);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static IResult NotFound(EntryKind kind, string id) => kind == EntryKind.Dataset
        ? ApiError.Result(404, ErrorCodes.DatasetNotFound, $"dataset '{id}' does not exist in the lake")
        : ApiError.Result(404, ErrorCodes.ModelNotFound, $"model '{id}' does not exist in the lake");
}
