using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiPlatform.ScriptApi;

/// <summary>The task's <c>params</c> object, with typed getters that fail with the parameter's name when a value has the wrong type.</summary>
public sealed class ScriptParams
{
    private readonly JsonObject _values;

    public ScriptParams(JsonObject values) => _values = values;

    public static ScriptParams Parse(string? json) =>
        new(string.IsNullOrWhiteSpace(json) ? new JsonObject() : JsonNode.Parse(json) as JsonObject
            ?? throw new ArgumentException("params must be a JSON object"));

    public bool Has(string name) => _values.ContainsKey(name) && _values[name] is not null;

    public JsonNode? this[string name] => _values[name];

    public string? GetString(string name, string? fallback = null) => Get(name, fallback);

    public int GetInt(string name, int fallback) => Get(name, fallback);

    public long GetLong(string name, long fallback) => Get(name, fallback);

    public double GetDouble(string name, double fallback) => Get(name, fallback);

    public bool GetBool(string name, bool fallback) => Get(name, fallback);

    public T Get<T>(string name, T fallback)
    {
        if (!Has(name)) return fallback;
        try
        {
            return _values[name].Deserialize<T>()!;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"parameter '{name}' must be of type {typeof(T).Name}, got {_values[name]!.ToJsonString()}");
        }
    }

    public string ToJson() => _values.ToJsonString();

    public override string ToString() => ToJson();
}
