using System.Text.Json;
using System.Text.RegularExpressions;
using AiPlatform.Messages;

namespace AiPlatform.Gateway.Tasks;

/// <summary>A validated <c>POST /api/v1/tasks</c> body. Parsed by hand so every error names the field at fault.</summary>
public sealed partial record SubmitTaskRequest(
    string Type, string Name, string? Script, string? Input, string? Output, string ParamsJson, string? Model, string Device,
    int? TimeoutSeconds)
{
    /// <summary>0 (the default, lowest) to 9: the command's message priority in its kind's queue.</summary>
    public int Priority { get; init; } = TaskPriorities.Default;

    /// <summary>The cpu and memory it needs; null for none declared.</summary>
    public TaskResources? Resources { get; init; }

    /// <summary>A week: longer limits are no limit in practice, and more likely a unit mistake.</summary>
    public const int MaxTimeoutSeconds = 7 * 24 * 3600;

    public static readonly string[] Devices = ["cpu"];

    /// <summary>Params are copied into every command and event of the task: they are settings, not data.</summary>
    public const int MaxParamsBytes = 64 * 1024;

    // \z, not $: "$" also matches before a final newline, which would let "name\n" through.
    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\z")]
    public static partial Regex NamePattern();

    public static (SubmitTaskRequest? Request, string? Error) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, "request body must be a JSON object");

        var (type, error) = RequiredString(body, "type");
        if (error is not null) return (null, error);
        if (!TaskTypes.All.Contains(type)) return (null, $"field 'type' must be one of {string.Join(", ", TaskTypes.All)}; got '{type}'");

        (var name, error) = RequiredString(body, "name");
        if (error is not null) return (null, error);
        if (!NamePattern().IsMatch(name!))
            return (null, "field 'name' must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");

        (var script, error) = OptionalString(body, "script");
        if (error is not null) return (null, error);
        (var input, error) = OptionalString(body, "input");
        if (error is not null) return (null, error);
        (var output, error) = OptionalString(body, "output");
        if (error is not null) return (null, error);
        (var model, error) = OptionalString(body, "model");
        if (error is not null) return (null, error);
        (var device, error) = OptionalString(body, "device");
        if (error is not null) return (null, error);

        int? timeout = null;
        if (body.TryGetProperty("timeout_seconds", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (type == TaskTypes.Inference) return (null, "field 'timeout_seconds' does not apply to an inference service, which runs until cancelled");
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out var seconds) || seconds < 1 || seconds > MaxTimeoutSeconds)
                return (null, $"field 'timeout_seconds' must be a whole number of seconds from 1 to {MaxTimeoutSeconds}");
            timeout = seconds;
        }

        (var priority, error) = ParsePriority(body, "priority");
        if (error is not null) return (null, error);
        if (priority is not null && type == TaskTypes.Inference)
            return (null, "field 'priority' does not apply to an inference service, which every serve worker hosts at once");

        TaskResources? resources = null;
        if (body.TryGetProperty("resources", out var r))
        {
            if (type == TaskTypes.Inference && r.ValueKind != JsonValueKind.Null)
                return (null, "field 'resources' does not apply to an inference service, which every serve worker hosts");
            (resources, error) = ResourceSpec.Parse(r, "resources");
            if (error is not null) return (null, error);
        }

        var parameters = "{}";
        if (body.TryGetProperty("params", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.Object) return (null, "field 'params' must be a JSON object");
            parameters = p.GetRawText();
            if (System.Text.Encoding.UTF8.GetByteCount(parameters) > MaxParamsBytes)
                return (null, $"field 'params' is larger than {MaxParamsBytes} bytes of JSON; pass data through datasets, not params");
        }

        if (type == TaskTypes.Inference)
        {
            if (string.IsNullOrWhiteSpace(model)) return (null, "field 'model' is required for an inference task");
            if (device is not null && !Devices.Contains(device))
                return (null, $"field 'device' must be one of {string.Join(", ", Devices)} (this fleet has no GPU); got '{device}'");
        }
        else
        {
            if (string.IsNullOrWhiteSpace(script)) return (null, $"field 'script' is required for a {type} task");
            if (device is not null && !Devices.Contains(device))
                return (null, $"field 'device' must be one of {string.Join(", ", Devices)} (this fleet has no GPU); got '{device}'");
        }

        return (new SubmitTaskRequest(type!, name!, script, input, output, parameters, model, device ?? "cpu", timeout)
        {
            Priority = priority ?? TaskPriorities.Default,
            Resources = resources,
        }, null);
    }

    /// <summary>A priority field: a whole number from 0 to 9; null when absent. Pipelines check theirs with it too.</summary>
    public static (int? Value, string? Error) ParsePriority(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return (null, null);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var priority) && priority is >= TaskPriorities.Default and <= TaskPriorities.Max
            ? (priority, null)
            : (null, PriorityError(field));
    }

    public static string PriorityError(string field) =>
        $"field '{field}' must be a whole number from {TaskPriorities.Default} (lowest, the default) to {TaskPriorities.Max} (highest)";

    private static (string? Value, string? Error) RequiredString(JsonElement body, string field)
    {
        var (value, error) = OptionalString(body, field);
        if (error is not null) return (null, error);
        return string.IsNullOrWhiteSpace(value) ? (null, $"field '{field}' is required") : (value, null);
    }

    private static (string? Value, string? Error) OptionalString(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return (null, null);
        if (value.ValueKind != JsonValueKind.String) return (null, $"field '{field}' must be a string");
        var text = value.GetString()!;
        return text.Length > 4096 ? (null, $"field '{field}' is longer than 4096 characters") : (text, null);
    }
}
