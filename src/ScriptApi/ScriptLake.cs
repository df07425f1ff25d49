using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;

namespace AiPlatform.ScriptApi;

/// <summary>Who is writing: recorded with every version a script saves.</summary>
public sealed record ScriptProvenance(Guid TaskId, string ScriptPath, string ScriptSha256);

/// <summary>What <see cref="ScriptLake.SaveModelAsync"/> committed: the model's name, its Lance version and its semantic version.</summary>
public sealed record SavedVersion(string Name, long LanceVersion, string SemanticVersion)
{
    /// <summary>The exact reference other tasks can use, e.g. <c>fashion-cnn:1.4.0</c>.</summary>
    public override string ToString() => $"{Name}:{SemanticVersion}";
}

/// <summary>
/// The lake as a script sees it: open datasets and load models by reference, write datasets, save models. Everything
/// opened or saved is recorded (<see cref="Report"/>) so the registry gets each new version with its lineage.
/// Scripts get no raw object store: whatever they write goes through a commit the registry hears about.
/// </summary>
/// <remarks>
/// References a script can resolve alone are <c>name</c> (the newest version) and <c>name@3</c>. Aliases and semantic
/// versions live in the registry: a task's input or model given as <c>fashion-cnn@production</c> is resolved by the
/// gateway at submit, and the script receives the exact <c>name@N</c>.
/// </remarks>
public sealed class ScriptLake(LakeCatalog catalog, ScriptProvenance provenance)
{
    public LakeReport Report { get; } = new();

    public async Task<LanceDataset> OpenDatasetAsync(string reference, CancellationToken ct = default)
    {
        var (name, version) = await ResolveAsync(EntryKind.Dataset, reference, ct);
        var dataset = await catalog.OpenDatasetAsync(name, version, ct);
        Report.RecordOpened(new LakeVersionUse("dataset", name, dataset.Version));
        return dataset;
    }

    /// <summary>A writer whose commit becomes a new version of dataset <paramref name="name"/> (created on first commit).</summary>
    public ScriptDatasetWriter CreateDatasetWriter(string name, Schema schema, WriteMode mode = WriteMode.Overwrite) =>
        new(catalog.CreateDatasetWriter(name, schema, mode), name, Report);

    public async Task<ModelArtifact> LoadModelAsync(string reference, CancellationToken ct = default)
    {
        var (name, version) = await ResolveAsync(EntryKind.Model, reference, ct);
        var model = await catalog.Models.LoadAsync(name, version, ct);
        Report.RecordOpened(new LakeVersionUse("model", name, model.Version));
        return model;
    }

    /// <summary>
    /// Saves weights as a new version of model <paramref name="name"/>; lineage (the datasets and models this script
    /// opened, the task and script) is recorded with them.
    /// </summary>
    /// <param name="version">A semantic version (<c>2.0.0</c>); by default the next minor after the model's newest.</param>
    public async Task<SavedVersion> SaveModelAsync(string name, string architecture, byte[] weights, object? metrics = null,
        object? parameters = null, string? version = null, CancellationToken ct = default)
    {
        LakeCatalog.ValidateName(name);
        var semantic = version is null ? SemanticVersion.NextAfter(await RecordedVersionsAsync(name, ct)) : SemanticVersion.Parse(version);
        var opened = Report.Opened;
        var lineage = new JsonObject
        {
            ["semantic_version"] = semantic.ToString(),
            ["inputs"] = ToJsonArray(opened.Where(o => o.Kind == "dataset")),
            ["parent_models"] = ToJsonArray(opened.Where(o => o.Kind == "model")),
            ["task_id"] = provenance.TaskId.ToString(),
            ["script_path"] = provenance.ScriptPath,
            ["script_sha256"] = provenance.ScriptSha256,
        };
        var lanceVersion = await catalog.Models.SaveAsync(name,
            new ModelArtifact(architecture, weights, ToJsonObject(metrics), ToJsonObject(parameters), lineage), ct);
        Report.RecordSaved(new LakeVersionUse("model", name, lanceVersion, semantic.ToString()));
        return new SavedVersion(name, lanceVersion, semantic.ToString());
    }

    /// <summary>
    /// Records <paramref name="metrics"/> (e.g. <c>new { test_accuracy = 0.87 }</c>) as an evaluation of the one model
    /// this script loaded, measured on the datasets it opened: the registry adds them to that version's metrics once
    /// the task completes.
    /// </summary>
    public void RecordEvaluation(object metrics)
    {
        var models = Report.Opened.Where(o => o.Kind == "model").ToList();
        if (models.Count != 1)
            throw new InvalidOperationException($"an evaluation is of one loaded model; this script loaded {models.Count}");
        var values = ToJsonObject(metrics);
        if (values.Count == 0) throw new ArgumentException("an evaluation needs at least one metric");
        Report.RecordEvaluated(new LakeEvaluation(models[0].Name, models[0].LanceVersion, [.. Report.Opened.Where(o => o.Kind == "dataset")], values));
    }

    private async Task<(string Name, long? Version)> ResolveAsync(EntryKind kind, string reference, CancellationToken ct)
    {
        var parsed = LakeReference.Parse(reference);
        return parsed.Kind switch
        {
            ReferenceKind.Latest => (parsed.Name, null),
            ReferenceKind.LanceVersion => (parsed.Name, parsed.LanceVersion),
            _ => throw new ArgumentException(
                $"'{reference}' names {(parsed.Kind == ReferenceKind.Alias ? "an alias" : "a semantic version")}, which only the registry resolves: " +
                $"pass it as the task's {(kind == EntryKind.Dataset ? "input" : "model or input")} and the script receives the exact {parsed.Name}@<version>"),
        };
    }

    /// <summary>Semantic versions earlier saves of this model recorded; none when the model is new.</summary>
    private async Task<IReadOnlyList<SemanticVersion>> RecordedVersionsAsync(string name, CancellationToken ct)
    {
        if ((await catalog.ListVersionsAsync(EntryKind.Model, name, ct)).Count == 0) return [];
        var rows = await (await catalog.OpenModelDatasetAsync(name, ct)).ReadAsync(["lineage"], ct: ct);
        var lineage = rows.Column<StringColumn>("lineage");
        var versions = new List<SemanticVersion>();
        for (var i = 0; i < rows.Length; i++)
            if (lineage[i] is { } text && JsonNode.Parse(text)?["semantic_version"]?.GetValue<string>() is { } recorded
                                      && SemanticVersion.TryParse(recorded, out var parsed))
                versions.Add(parsed);
        return versions;
    }

    private static JsonArray ToJsonArray(IEnumerable<LakeVersionUse> uses) =>
        new(uses.Select(u => (JsonNode)new JsonObject { ["name"] = u.Name, ["lance_version"] = u.LanceVersion }).ToArray());

    private static JsonObject ToJsonObject(object? value) => value switch
    {
        null => [],
        JsonObject json => json,
        ScriptParams p => JsonNode.Parse(p.ToJson())!.AsObject(),
        _ => JsonSerializer.SerializeToNode(value, value.GetType(), new JsonSerializerOptions(JsonSerializerDefaults.Web)) as JsonObject
             ?? throw new ArgumentException($"metrics and params must serialize to JSON objects; got {value.GetType().Name}"),
    };
}

/// <summary>Streams batches into a new dataset version; the commit is reported to the registry with the script's lineage.</summary>
public sealed class ScriptDatasetWriter : IAsyncDisposable
{
    private readonly DatasetWriter _writer;
    private readonly string _name;
    private readonly LakeReport _report;

    internal ScriptDatasetWriter(DatasetWriter writer, string name, LakeReport report)
    {
        _writer = writer;
        _name = name;
        _report = report;
    }

    public long RowsWritten => _writer.RowsWritten;

    public Task WriteAsync(RecordBatch batch, CancellationToken ct = default) => _writer.WriteAsync(batch, ct);

    /// <summary>Makes the written rows a new version; returns its Lance version number.</summary>
    public async Task<long> CommitAsync(CancellationToken ct = default)
    {
        var version = await _writer.CommitAsync(ct);
        _report.RecordSaved(new LakeVersionUse("dataset", _name, version));
        return version;
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
