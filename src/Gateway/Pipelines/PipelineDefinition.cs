using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// A pipeline as its author writes it (JSON, or YAML turned into the same JSON): steps that are task specs plus how
/// they depend on each other, retry, time out and decide whether to run.
/// </summary>
public sealed record PipelineDefinition
{
    public string Name { get; init; } = "";
    public string? Description { get; init; }

    /// <summary>fail_fast (the default): the first step that finally fails cancels the rest. continue: independent branches finish.</summary>
    public string OnFailure { get; init; } = FailurePolicies.FailFast;

    /// <summary>When the pipeline also runs by itself (cron and time zone); null for runs on request only.</summary>
    public Scheduling.ScheduleDefinition? Schedule { get; init; }

    /// <summary>0-9, the priority of every step that names none of its own (default 0, the lowest).</summary>
    public int? Priority { get; init; }

    /// <summary>Declared params: <c>{"type": "integer", "default": 3}</c>, or a bare default whose JSON type is the param's type.</summary>
    public Dictionary<string, JsonNode?> Params { get; init; } = [];

    public List<StepDefinition> Steps { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static PipelineDefinition FromJson(string json) => JsonSerializer.Deserialize<PipelineDefinition>(json, Json)!;

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

public sealed record StepDefinition
{
    public string Name { get; init; } = "";

    /// <summary>ingestion or training: a step is an ordinary task of that type.</summary>
    public string Type { get; init; } = "";
    public string? Script { get; init; }
    public string? Input { get; init; }
    public string? Output { get; init; }
    public string? Model { get; init; }
    public string? Device { get; init; }
    public JsonObject? Params { get; init; }
    public List<string> DependsOn { get; init; } = [];
    public RetryPolicy? Retry { get; init; }
    public int? TimeoutSeconds { get; init; }

    /// <summary>The step's cpu and memory, as a task's <c>resources</c>: <c>{"cpu": 1, "memory": "512Mi"}</c>.</summary>
    public JsonElement? Resources { get; init; }

    /// <summary>0-9, the step's task priority in its queue; the pipeline's when absent.</summary>
    public int? Priority { get; init; }

    /// <summary>A condition on earlier results, e.g. <c>${steps.evaluate.result.accuracy} &gt; 0.8</c>; false skips the step.</summary>
    public string? When { get; init; }
}

public sealed record RetryPolicy
{
    public const int MaxMaxAttempts = 10;
    public const double MaxBackoffSeconds = 3600;

    public int MaxAttempts { get; init; } = 1;
    public double BackoffSeconds { get; init; }

    /// <summary>Which failures are retried: error (the script failed), timeout, lost (its worker was lost).</summary>
    public List<string> On { get; init; } = [.. FailureKinds.All];

    /// <summary>The wait before attempt <paramref name="nextAttempt"/>: the backoff doubling per attempt, capped at an hour.</summary>
    public TimeSpan DelayBefore(int nextAttempt) =>
        TimeSpan.FromSeconds(Math.Min(MaxBackoffSeconds, BackoffSeconds * Math.Pow(2, Math.Max(0, nextAttempt - 2))));
}

public static class FailurePolicies
{
    public const string FailFast = "fail_fast";
    public const string Continue = "continue";
    public static readonly string[] All = [FailFast, Continue];
}

/// <summary>Why a step's task failed, as far as retry policies care.</summary>
public static class FailureKinds
{
    public const string Error = "error";
    public const string Timeout = "timeout";
    public const string Lost = "lost";
    public static readonly string[] All = [Error, Timeout, Lost];

    /// <summary>Reads the kind from the task's error, which the worker and the task saga phrase in fixed ways.</summary>
    public static string Of(string? error) =>
        error is null ? Error
        : error.Contains("timed out after", StringComparison.Ordinal) ? Timeout
        : error.Contains("stopped sending heartbeats", StringComparison.Ordinal) || error.Contains("was lost", StringComparison.Ordinal) ? Lost
        : Error;
}
