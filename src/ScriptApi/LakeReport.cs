using System.Text.Json.Serialization;

namespace AiPlatform.ScriptApi;

/// <summary>One version a script read or wrote, as the task result reports it for the registry.</summary>
public sealed record LakeVersionUse(
    string Kind,
    string Name,
    [property: JsonPropertyName("lance_version")] long LanceVersion,
    [property: JsonPropertyName("semantic_version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SemanticVersion = null);

/// <summary>Metrics a script measured for a model version it loaded, on the dataset versions it read.</summary>
public sealed record LakeEvaluation(
    string Model,
    [property: JsonPropertyName("lance_version")] long LanceVersion,
    IReadOnlyList<LakeVersionUse> Datasets,
    System.Text.Json.Nodes.JsonObject Metrics);

/// <summary>
/// What a script opened and what it committed, in the order it happened. The gateway registers every saved version
/// from it, with lineage edges to everything opened, once the task has completed.
/// </summary>
public sealed class LakeReport
{
    private readonly List<LakeVersionUse> _opened = [];
    private readonly List<LakeVersionUse> _saved = [];
    private readonly List<LakeEvaluation> _evaluated = [];

    public IReadOnlyList<LakeVersionUse> Opened
    {
        get { lock (_opened) return [.. _opened]; }
    }

    public IReadOnlyList<LakeVersionUse> Saved
    {
        get { lock (_saved) return [.. _saved]; }
    }

    public IReadOnlyList<LakeEvaluation> Evaluated
    {
        get { lock (_evaluated) return [.. _evaluated]; }
    }

    public bool IsEmpty => Opened.Count == 0 && Saved.Count == 0 && Evaluated.Count == 0;

    internal void RecordOpened(LakeVersionUse use)
    {
        lock (_opened)
            if (!_opened.Contains(use)) _opened.Add(use);
    }

    internal void RecordSaved(LakeVersionUse use)
    {
        lock (_saved) _saved.Add(use);
    }

    internal void RecordEvaluated(LakeEvaluation evaluation)
    {
        lock (_evaluated) _evaluated.Add(evaluation);
    }
}
