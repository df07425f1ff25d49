using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.ScriptApi;

namespace AiPlatform.ScriptRunner;

/// <summary>The context a script sees inside the runner process; every call becomes an event line to the worker.</summary>
internal sealed class ChildScriptContext(RunScript run, CancellationToken cancellation, Action<RunnerEvent> emit, Lazy<LakeCatalog> lake)
    : ScriptContext
{
    private readonly Lazy<ScriptLake> _scriptLake = new(() => new ScriptLake(lake.Value, new ScriptProvenance(run.TaskId, run.ScriptPath, run.ScriptSha256)));

    public override ScriptLake Lake => _scriptLake.Value;

    public override TaskCheckpoints Checkpoint => new(lake.Value.Store, run.TaskId);

    /// <summary>
    /// The script's result as the task result: when the script touched the lake, a <c>lake</c> member says what it opened
    /// and saved, which is how the gateway learns the versions to register and their lineage.
    /// </summary>
    public string ResultJson(object? result)
    {
        var json = JsonSerializer.SerializeToNode(result, ProtocolJson.Options);
        if (!_scriptLake.IsValueCreated || _scriptLake.Value.Report.IsEmpty) return json?.ToJsonString() ?? "null";
        var report = _scriptLake.Value.Report;
        var wrapped = json as JsonObject ?? new JsonObject { ["value"] = json };
        wrapped["lake"] = JsonSerializer.SerializeToNode(new { opened = report.Opened, saved = report.Saved, evaluated = report.Evaluated }, ProtocolJson.Options);
        return wrapped.ToJsonString();
    }

    public override ScriptLocation OpenLocation(string uri)
    {
        var allowed = SourceRoots.Value.Check(uri);
        return new ScriptLocation(ObjectStores.Open(LakeSettings.ForRoot(allowed)), uri);
    }

    private static readonly Lazy<SourceRoots> SourceRoots = new(ScriptRunner.SourceRoots.FromEnvironment);

    public override Guid TaskId => run.TaskId;
    public override string TaskName => run.TaskName;
    public override int Attempt => run.Attempt;
    public override string WorkerId => run.WorkerId;
    public override CancellationToken CancellationToken => cancellation;

    public override void Progress(double? fraction, string? message = null, object? metrics = null)
    {
        if (fraction is < 0 or > 1 || fraction is double.NaN)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "progress fraction must be within [0, 1]");
        var metricsJson = metrics is null ? null : JsonSerializer.Serialize(metrics, metrics.GetType(), ProtocolJson.Options);
        emit(new ScriptProgressed(fraction, message, metricsJson));
    }

    public override void Log(string message) => emit(new ScriptLogged("info", message));

    public override void LogWarning(string message) => emit(new ScriptLogged("warning", message));
}
