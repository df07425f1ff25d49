using System.Globalization;
using System.Text.Json;
using AiPlatform.Messages;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Reads a <c>resources</c> field, the same for a task and a pipeline step: <c>{"cpu": 1.5, "memory": "512Mi"}</c>,
/// memory as MiB (a number) or with a Kubernetes-style unit (<c>Mi</c>, <c>Gi</c>).
/// </summary>
public static class ResourceSpec
{
    public static (TaskResources? Resources, string? Error) Parse(JsonElement value, string field)
    {
        if (value.ValueKind == JsonValueKind.Null) return (null, null);
        if (value.ValueKind != JsonValueKind.Object) return (null, $"field '{field}' must be an object such as {{\"cpu\": 1, \"memory\": \"512Mi\"}}");
        double? cpu = null;
        int? memory = null;
        foreach (var property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "cpu":
                    if (property.Value.ValueKind != JsonValueKind.Number || property.Value.GetDouble() is not (> 0 and <= TaskResources.MaxCpu and var cores))
                        return (null, $"field '{field}.cpu' must be a number of cores above 0 and at most {TaskResources.MaxCpu}");
                    cpu = cores;
                    break;
                case "memory":
                    if (MemoryMiB(property.Value) is not (>= TaskResources.MinMemoryMiB and <= TaskResources.MaxMemoryMiB and var mib))
                        return (null, $"field '{field}.memory' must be MiB (a whole number) or a size such as \"512Mi\" or \"2Gi\", " +
                                      $"from {TaskResources.MinMemoryMiB} MiB to {TaskResources.MaxMemoryMiB / 1024} GiB");
                    memory = (int)mib;
                    break;
                default:
                    return (null, $"field '{field}' has an unknown member '{property.Name}' (cpu and memory are known)");
            }
        }
        return cpu is null && memory is null ? (null, null) : (new TaskResources(cpu, memory), null);
    }

    private static long? MemoryMiB(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number) return value.TryGetInt64(out var mib) ? mib : null;
        if (value.ValueKind != JsonValueKind.String) return null;
        var text = value.GetString()!.Trim();
        var (digits, factor) = text.EndsWith("Gi", StringComparison.Ordinal) ? (text[..^2], 1024L)
            : text.EndsWith("Mi", StringComparison.Ordinal) ? (text[..^2], 1L)
            : (text, 1L);
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount <= TaskResources.MaxMemoryMiB
            ? amount * factor
            : null;
    }
}
