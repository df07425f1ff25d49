using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiPlatform.ScriptRunner;

// The worker and its script-runner child speak JSON lines over stdin/stdout: one object per line.

[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(RunScript), "run")]
[JsonDerivedType(typeof(CancelScript), "cancel")]
[JsonDerivedType(typeof(PredictRequest), "predict")]
public abstract record RunnerCommand;

/// <param name="Serve">When true the script returns an IPredictor that stays alive until cancelled.</param>
public sealed record RunScript(Guid TaskId, string TaskName, int Attempt, string WorkerId, string ScriptPath, string ScriptSha256,
    string ScriptSource, string? Input, string? Output, string ParamsJson, bool Serve) : RunnerCommand;

public sealed record CancelScript(string Reason) : RunnerCommand;

public sealed record PredictRequest(long RequestId, IReadOnlyList<float[]> Images) : RunnerCommand;

[JsonPolymorphic(TypeDiscriminatorPropertyName = "ev")]
[JsonDerivedType(typeof(RunnerReady), "ready")]
[JsonDerivedType(typeof(ScriptProgressed), "progress")]
[JsonDerivedType(typeof(ScriptLogged), "log")]
[JsonDerivedType(typeof(ScriptCompleted), "completed")]
[JsonDerivedType(typeof(ScriptFailed), "failed")]
[JsonDerivedType(typeof(ScriptCancelled), "cancelled")]
[JsonDerivedType(typeof(ScriptServing), "serving")]
[JsonDerivedType(typeof(PredictReply), "predictions")]
public abstract record RunnerEvent;

public sealed record RunnerReady(int ProcessId) : RunnerEvent;

public sealed record ScriptProgressed(double? Fraction, string? Message, string? MetricsJson) : RunnerEvent;

public sealed record ScriptLogged(string Level, string Message) : RunnerEvent;

public sealed record ScriptCompleted(string ResultJson) : RunnerEvent;

public sealed record ScriptFailed(string Error) : RunnerEvent;

public sealed record ScriptCancelled(string Reason) : RunnerEvent;

public sealed record ScriptServing : RunnerEvent;

/// <param name="Error">Set instead of predictions when the predictor threw.</param>
public sealed record PredictReply(long RequestId, IReadOnlyList<AiPlatform.ScriptApi.ClassPrediction>? Predictions, string? Error) : RunnerEvent;

internal static class ProtocolJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
