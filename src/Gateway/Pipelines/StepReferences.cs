using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>One <c>${steps.X.result.a.b}</c> or <c>${params.Z}</c> in a step's fields.</summary>
public sealed record StepReference(string Text, string? Step, IReadOnlyList<string> Path, string? Param);

/// <summary>
/// Finds and replaces references in a step's strings. A string that is one reference takes the referenced JSON value
/// whole (a number stays a number in params); a reference inside a longer string is replaced by its text.
/// </summary>
public static partial class StepReferences
{
    [GeneratedRegex(@"\$\{(?<body>[^}]*)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\A\s*(?:steps\.(?<step>[A-Za-z0-9_-]+)\.result(?<path>(?:\.[A-Za-z0-9_-]+)*)|params\.(?<param>[A-Za-z0-9_-]+))\s*\z")]
    private static partial Regex Grammar();

    /// <summary>Every reference in <paramref name="text"/>, or the first malformed one's error.</summary>
    public static (List<StepReference> References, string? Error) Find(string? text)
    {
        var found = new List<StepReference>();
        if (text is null) return (found, null);
        foreach (Match match in Placeholder().Matches(text))
        {
            var parsed = Grammar().Match(match.Groups["body"].Value);
            if (!parsed.Success)
                return (found, $"'{match.Value}' is not a reference: use ${{steps.<step>.result.<field>}} or ${{params.<name>}}");
            found.Add(parsed.Groups["param"].Success
                ? new StepReference(match.Value, null, [], parsed.Groups["param"].Value)
                : new StepReference(match.Value, parsed.Groups["step"].Value,
                    parsed.Groups["path"].Value.Split('.', StringSplitOptions.RemoveEmptyEntries), null));
        }
        if (found.Count == 0 && text.Contains("${", StringComparison.Ordinal)) return (found, $"'{text}' has an unclosed '${{'");
        return (found, null);
    }

    /// <summary>Every reference in a step: its strings, its params (keys and values) and its condition.</summary>
    public static IEnumerable<(string Field, string Text)> Texts(StepDefinition step)
    {
        yield return ("input", step.Input ?? "");
        yield return ("output", step.Output ?? "");
        yield return ("model", step.Model ?? "");
        yield return ("when", step.When ?? "");
        if (step.Params is not null)
            foreach (var value in Descendants(step.Params))
                if (value.GetValueKind() == JsonValueKind.String) yield return ($"params{value.GetPath()[1..]}", value.GetValue<string>());
    }

    private static IEnumerable<JsonNode> Descendants(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                    if (child is not null) foreach (var d in Descendants(child)) yield return d;
                break;
            case JsonArray a:
                foreach (var child in a)
                    if (child is not null) foreach (var d in Descendants(child)) yield return d;
                break;
            default:
                yield return node;
                break;
        }
    }

    /// <summary>Looks a reference's value up; throws <see cref="StepReferenceException"/> when it has none.</summary>
    public delegate JsonNode? Lookup(StepReference reference);

    /// <summary>The value of a whole-string reference, or the string with every reference replaced by its text.</summary>
    public static JsonNode? Substitute(string text, Lookup lookup)
    {
        var (references, _) = Find(text);
        if (references.Count == 0) return JsonValue.Create(text);
        if (references.Count == 1 && references[0].Text == text) return lookup(references[0])?.DeepClone();
        var output = new StringBuilder(text);
        foreach (var reference in references)
            output.Replace(reference.Text, AsText(lookup(reference)));
        return JsonValue.Create(output.ToString());
    }

    public static string? SubstituteText(string? text, Lookup lookup) => text is null ? null : AsText(Substitute(text, lookup));

    /// <summary>A copy of <paramref name="node"/> with every string's references substituted.</summary>
    public static JsonNode? SubstituteAll(JsonNode? node, Lookup lookup) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, SubstituteAll(p.Value, lookup)))),
        JsonArray a => new JsonArray(a.Select(v => SubstituteAll(v, lookup)).ToArray()),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Substitute(v.GetValue<string>(), lookup),
        _ => node?.DeepClone(),
    };

    public static string AsText(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? "null";

    /// <summary>Follows <paramref name="path"/> into a step's result.</summary>
    public static JsonNode? Select(StepReference reference, JsonNode? result)
    {
        var node = result;
        foreach (var member in reference.Path)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(member, out node))
                throw new StepReferenceException($"{reference.Text} has no value: step '{reference.Step}' returned no '{string.Join('.', reference.Path)}'");
        }
        return node;
    }
}

public sealed class StepReferenceException(string message) : Exception(message);
