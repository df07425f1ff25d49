using System.Text.Json;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.ScriptApi;

namespace AiPlatform.ScriptRunner;

/// <summary>The context a script sees inside the runner process; every call becomes an event line to the worker.</summary>
internal sealed class ChildScriptContext(RunScript run, CancellationToken cancellation, Action<RunnerEvent> emit, Lazy<LakeCatalog> lake)
    : ScriptContext
{
    public override LakeCatalog Lake => lake.Value;

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
