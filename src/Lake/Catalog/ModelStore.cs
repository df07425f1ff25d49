using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Dataset;

namespace AiPlatform.Lake.Catalog;

/// <summary>A trained model: its weights (PyTorch state-dict bytes) with what is needed to trust and reuse them.</summary>
public sealed record ModelArtifact(
    string Architecture,
    byte[] Weights,
    JsonObject Metrics,
    JsonObject Params,
    JsonObject Lineage,
    long Version = 0,
    DateTimeOffset CreatedAt = default);

/// <summary>
/// Models as Lance datasets, so models get versions and time travel like data. Each saved version holds its own row
/// only (an overwrite), so no two versions share a file and archiving or deleting an old version frees its bytes.
/// </summary>
public sealed class ModelStore(LakeCatalog catalog)
{
    public static readonly Schema Schema = new(
        new Field("name", LanceType.Utf8, false),
        new Field("architecture", LanceType.Utf8, false),
        new Field("weights", LanceType.Binary, false),
        new Field("metrics", LanceType.Utf8, false),
        new Field("params", LanceType.Utf8, false),
        new Field("lineage", LanceType.Utf8, false),
        new Field("created_at", LanceType.TimestampMicros, false));

    /// <summary>Saves a new version of the model (the model is created on first save); returns the version.</summary>
    public async Task<long> SaveAsync(string name, ModelArtifact model, CancellationToken ct = default)
    {
        var batch = new RecordBatch(Schema, [
            StringColumn.From([name]),
            StringColumn.From([model.Architecture]),
            BinaryColumn.From([model.Weights]),
            StringColumn.From([model.Metrics.ToJsonString()]),
            StringColumn.From([model.Params.ToJsonString()]),
            StringColumn.From([model.Lineage.ToJsonString()]),
            new TimestampColumn([TimestampColumn.ToMicroseconds(DateTimeOffset.UtcNow)]),
        ]);
        for (var attempt = 1; ; attempt++)
        {
            await using var writer = new DatasetWriter(catalog.Store, LakeCatalog.ModelPath(name), Schema, WriteMode.Overwrite);
            await writer.WriteAsync(batch, ct);
            try
            {
                return await writer.CommitAsync(ct);
            }
            catch (LakeConflictException) when (attempt < MaxSaveAttempts)
            {
                // Another save committed first; this version does not depend on that one, so it simply goes on top.
                await Task.Delay(Random.Shared.Next(5, 50) * attempt, ct);
            }
        }
    }

    private const int MaxSaveAttempts = 20;

    /// <summary>The model as saved at a dataset version (latest by default).</summary>
    public async Task<ModelArtifact> LoadAsync(string name, long? version = null, CancellationToken ct = default) =>
        (await LoadAsync(name, version, includeWeights: true, ct))!;

    internal async Task<ModelArtifact?> LoadAsync(string name, long? version, bool includeWeights, CancellationToken ct)
    {
        var dataset = await LanceDataset.OpenAsync(catalog.Store, LakeCatalog.ModelPath(name), version, ct);
        if (dataset.CountRows == 0) return null;
        var columns = includeWeights
            ? Schema.Fields.Select(f => f.Name).ToList()
            : Schema.Fields.Select(f => f.Name).Where(n => n != "weights").ToList();
        var row = await dataset.ReadAsync(columns, dataset.CountRows - 1, 1, ct);
        return new ModelArtifact(
            row.Column<StringColumn>("architecture")[0]!,
            includeWeights ? row.Column<BinaryColumn>("weights")[0]! : [],
            Json(row.Column<StringColumn>("metrics")[0]),
            Json(row.Column<StringColumn>("params")[0]),
            Json(row.Column<StringColumn>("lineage")[0]),
            dataset.Version,
            row.Column<TimestampColumn>("created_at").Time(0) ?? default);
    }

    private static JsonObject Json(string? text) => text is null ? [] : JsonNode.Parse(text) as JsonObject ?? [];
}
