using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiPlatform.ScriptRunner;

// The worker and its script-runner child speak JSON lines over stdin/stdout: one object per line.

[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(RunScript), "run")]
[JsonDerivedType(typeof(CancelScript), "cancel")]
[JsonDerivedType(typeof(PredictRequest), "predict")]
[JsonDerivedType(typeof(SwapModel), "swap")]
public abstract record RunnerCommand;

/// <param name="Serve">When true the script returns an IPredictor that stays alive until cancelled.</param>
/// <param name="Model">The exact model version a training task names, for the script's <c>Model</c>.</param>
/// <param name="TraceParent">The W3C traceparent of the worker's span for this run when it is traced: the runner then
/// reports its own spans as <see cref="SpanRecorded"/> under it.</param>
public sealed record RunScript(Guid TaskId, string TaskName, int Attempt, string WorkerId, string ScriptPath, string ScriptSha256,
    string ScriptSource, string? Input, string? Output, string ParamsJson, bool Serve, string? Model = null, string? TraceParent = null)
    : RunnerCommand;

public sealed record CancelScript(string Reason) : RunnerCommand;

/// <param name="Body">The predict request's body, as its caller sent it to the gateway.</param>
public sealed record PredictRequest(long RequestId, string Body) : RunnerCommand;

/// <summary>
/// Runs the serving script again on another model version and, once its predictor is ready, hands it every new request;
/// requests the old predictor already took finish on it, then it is disposed.
/// </summary>
/// <param name="Input">The model version to serve (<c>fashion-cnn@5</c>), the script's new input.</param>
public sealed record SwapModel(string Input) : RunnerCommand;

[JsonPolymorphic(TypeDiscriminatorPropertyName = "ev")]
[JsonDerivedType(typeof(RunnerReady), "ready")]
[JsonDerivedType(typeof(ScriptProgressed), "progress")]
[JsonDerivedType(typeof(ScriptLogged), "log")]
[JsonDerivedType(typeof(ScriptCompleted), "completed")]
[JsonDerivedType(typeof(ScriptFailed), "failed")]
[JsonDerivedType(typeof(ScriptCancelled), "cancelled")]
[JsonDerivedType(typeof(ScriptServing), "serving")]
[JsonDerivedType(typeof(PredictReply), "predictions")]
[JsonDerivedType(typeof(ModelSwapped), "swapped")]
[JsonDerivedType(typeof(ModelSwapFailed), "swap_failed")]
[JsonDerivedType(typeof(LakeTraffic), "lake_traffic")]
[JsonDerivedType(typeof(SpanRecorded), "span")]
public abstract record RunnerEvent;

public sealed record RunnerReady(int ProcessId) : RunnerEvent;

public sealed record ScriptProgressed(double? Fraction, string? Message, string? MetricsJson) : RunnerEvent;

public sealed record ScriptLogged(string Level, string Message) : RunnerEvent;

public sealed record ScriptCompleted(string ResultJson) : RunnerEvent;

public sealed record ScriptFailed(string Error) : RunnerEvent;

public sealed record ScriptCancelled(string Reason) : RunnerEvent;

public sealed record ScriptServing : RunnerEvent;

/// <param name="AnswerJson">The predictor's answer to this request, the caller's response body.</param>
/// <param name="Error">Set instead of an answer when the predictor failed on this request.</param>
/// <param name="InvalidInput">The predictor refused the request itself (the caller's fault, not the model's).</param>
/// <param name="Model">The model version (the serving script's input) of the predictor that answered.</param>
/// <param name="BatchSize">How many requests the predictor answered together with this one; set on the first reply of each batch only.</param>
public sealed record PredictReply(long RequestId, string? AnswerJson, string? Error, bool InvalidInput, string? Model = null, int? BatchSize = null)
    : RunnerEvent;

/// <summary>The predictor for <paramref name="Input"/> answers every request from now on.</summary>
public sealed record ModelSwapped(string Input) : RunnerEvent;

/// <summary>The serving script could not serve <paramref name="Input"/>; the previous predictor keeps serving.</summary>
public sealed record ModelSwapFailed(string Input, string Error) : RunnerEvent;

/// <summary>
/// What the runner's scripts moved through the lake since its previous report. The runner exports no metrics of its
/// own; the worker adds these to its lake counters, so a script's reads and writes show on the worker's /metrics.
/// </summary>
public sealed record LakeTraffic(IReadOnlyList<LakeCount> Counts) : RunnerEvent;

/// <param name="Instrument">A counter of the lake's meter, e.g. <c>aiplatform.lake.read</c>.</param>
/// <param name="Tag">Its one label and the label's value, e.g. <c>store</c> and <c>s3</c>.</param>
public sealed record LakeCount(string Instrument, string Tag, string Value, long Amount);

/// <summary>A span the runner timed, for its worker to export in the runner's place.</summary>
/// <param name="Parent">The traceparent the run came with: the span's parent.</param>
/// <param name="Error">Set when what the span timed failed.</param>
public sealed record SpanRecorded(string Name, string Parent, DateTimeOffset StartedAt, DateTimeOffset EndedAt, string? Error) : RunnerEvent;

internal static class ProtocolJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
