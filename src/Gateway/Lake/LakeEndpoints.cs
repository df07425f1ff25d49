using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;
using Microsoft.EntityFrameworkCore;

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
    JsonObject? Lineage)
{
    public static LakeEntryView From(LakeEntryInfo e) => new(e.Id, e.Path, e.Schema, e.NumRows, e.SizeBytes, e.Versions, e.LatestVersion,
        e.Fragments, e.CreatedAt, e.UpdatedAt, e.Model?.Architecture, e.Model?.Metrics, e.Model?.Params, e.Model?.Lineage);
}

/// <summary>Datasets and models in the lake: list, describe, delete. Reads only metadata; the gateway never loads a model.</summary>
public static class LakeEndpoints
{
    public static void MapLakeEndpoints(this IEndpointRouteBuilder app)
    {
        var datasets = app.MapGroup("/api/v1/datasets").WithTags("Datasets");
        datasets.MapGet("/", async (LakeCatalog lake, CancellationToken ct) =>
            Results.Ok((await lake.ListDatasetsAsync(ct)).Select(LakeEntryView.From))).Produces<IEnumerable<LakeEntryView>>();
        datasets.MapGet("/{id}", (string id, LakeCatalog lake, CancellationToken ct) =>
            DescribeAsync(id, EntryKind.Dataset, lake, ct)).Produces<LakeEntryView>().Produces<ApiError>(404);
        datasets.MapDelete("/{id}", (string id, LakeCatalog lake, PlatformDbContext db, CancellationToken ct) =>
            DeleteAsync(id, EntryKind.Dataset, lake, db, ct)).Produces(204).Produces<ApiError>(404).Produces<ApiError>(409);

        var models = app.MapGroup("/api/v1/models").WithTags("Models");
        models.MapGet("/", async (LakeCatalog lake, CancellationToken ct) =>
            Results.Ok((await lake.ListModelsAsync(ct)).Select(LakeEntryView.From))).Produces<IEnumerable<LakeEntryView>>();
        models.MapGet("/{id}", (string id, LakeCatalog lake, CancellationToken ct) =>
            DescribeAsync(id, EntryKind.Model, lake, ct)).Produces<LakeEntryView>().Produces<ApiError>(404);
        models.MapDelete("/{id}", (string id, LakeCatalog lake, PlatformDbContext db, CancellationToken ct) =>
            DeleteAsync(id, EntryKind.Model, lake, db, ct)).Produces(204).Produces<ApiError>(404).Produces<ApiError>(409);
    }

    private static async Task<IResult> DescribeAsync(string id, EntryKind kind, LakeCatalog lake, CancellationToken ct)
    {
        if (!IsValidName(id)) return NotFound(kind, id);
        var entry = kind == EntryKind.Dataset ? await lake.GetDatasetAsync(id, ct) : await lake.GetModelAsync(id, ct);
        return entry is null ? NotFound(kind, id) : Results.Ok(LakeEntryView.From(entry));
    }

    private static async Task<IResult> DeleteAsync(string id, EntryKind kind, LakeCatalog lake, PlatformDbContext db, CancellationToken ct)
    {
        if (!IsValidName(id)) return NotFound(kind, id);
        var users = await ActiveUsersAsync(db, kind, id, ct);
        if (users.Count > 0)
            return ApiError.Result(409, ErrorCodes.InUse,
                $"{kind.ToString().ToLowerInvariant()} '{id}' is used by {string.Join(", ", users.Select(t => $"{t.Type} task {t.Name} ({t.CorrelationId}, {TaskStatuses.ToStatus(t.CurrentState)})"))}; cancel or wait for it first");
        var deleted = kind == EntryKind.Dataset ? await lake.DeleteDatasetAsync(id, ct) : await lake.DeleteModelAsync(id, ct);
        return deleted ? Results.NoContent() : NotFound(kind, id);
    }

    /// <summary>Pending or running tasks that read or write the entry: deleting it under them would break them.</summary>
    private static Task<List<TaskState>> ActiveUsersAsync(PlatformDbContext db, EntryKind kind, string id, CancellationToken ct)
    {
        var active = db.Tasks.AsNoTracking().Where(t => TaskStatuses.ActiveStates.Contains(t.CurrentState));
        return (kind == EntryKind.Dataset
                ? active.Where(t => t.Type != TaskTypes.Inference && (t.Input == id || (t.Type == TaskTypes.Ingestion && t.Output == id)))
                : active.Where(t => (t.Type == TaskTypes.Inference && t.Model == id) || (t.Type == TaskTypes.Training && t.Output == id)))
            .ToListAsync(ct);
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
