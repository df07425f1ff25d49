using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>A declared pipeline param: its type and default (null: the run must give it).</summary>
public sealed record ParamSpec(string Type, JsonNode? Default)
{
    public static readonly string[] Types = ["string", "integer", "number", "boolean"];

    /// <summary>Reads <c>{"type": .., "default": ..}</c> or a bare default.</summary>
    public static (ParamSpec? Spec, string? Error) Parse(string name, JsonNode? declared)
    {
        if (declared is JsonObject spec && spec.ContainsKey("type"))
        {
            foreach (var key in spec.Select(p => p.Key))
                if (key is not ("type" or "default")) return (null, $"params.{name}: unknown member '{key}' (only 'type' and 'default')");
            if (spec["type"] is not JsonValue typeValue || !typeValue.TryGetValue<string>(out var type) || !Types.Contains(type))
                return (null, $"params.{name}.type must be one of {string.Join(", ", Types)}");
            var value = spec["default"];
            if (value is not null && TypeError(name, type, value) is { } error) return (null, $"params.{name}.default: {error}");
            return (new ParamSpec(type, value?.DeepClone()), null);
        }
        var inferred = declared switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => "string",
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => null,
        };
        return inferred is null
            ? (null, $"params.{name} must be a string, number or boolean default, or {{\"type\": .., \"default\": ..}}")
            : (new ParamSpec(inferred, declared!.DeepClone()), null);
    }

    /// <returns>Why <paramref name="value"/> is not of <paramref name="type"/>, or null when it is.</returns>
    public static string? TypeError(string name, string type, JsonNode value)
    {
        var kind = value.GetValueKind();
        var fits = type switch
        {
            "string" => kind == JsonValueKind.String,
            "integer" => kind == JsonValueKind.Number && IsInteger(value),
            "number" => kind == JsonValueKind.Number,
            "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            _ => false,
        };
        return fits ? null : $"param '{name}' must be of type {type}; got {value.ToJsonString()}";
    }

    private static bool IsInteger(JsonNode number) => long.TryParse(number.ToJsonString(), out _);

    /// <summary>The params a run uses: each declared default, overridden by the run's values, every one of its declared type.</summary>
    public static (JsonObject? Values, string? Error) Effective(PipelineDefinition definition, JsonObject? overrides)
    {
        var values = new JsonObject();
        foreach (var (name, declared) in definition.Params)
        {
            var (spec, error) = Parse(name, declared);
            if (spec is null) return (null, error);
            var value = overrides?[name] ?? spec.Default;
            if (value is null) return (null, $"param '{name}' has no default: the run must give it");
            if (TypeError(name, spec.Type, value) is { } typeError) return (null, typeError);
            values[name] = value.DeepClone();
        }
        foreach (var (name, _) in overrides ?? [])
            if (!definition.Params.ContainsKey(name))
                return (null, $"param '{name}' is not declared by pipeline '{definition.Name}' (declared: {string.Join(", ", definition.Params.Keys)})");
        return (values, null);
    }
}
