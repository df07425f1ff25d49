namespace AiPlatform.Gateway.Pipelines;

/// <summary>The steps of an acyclic pipeline and who is upstream of whom.</summary>
public sealed class PipelineGraph
{
    private readonly Dictionary<string, StepDefinition> _steps;
    private readonly Dictionary<string, HashSet<string>> _upstream = [];

    public PipelineGraph(PipelineDefinition pipeline)
    {
        _steps = pipeline.Steps.ToDictionary(s => s.Name);
        foreach (var step in pipeline.Steps) Upstream(step.Name);
    }

    public StepDefinition Step(string name) => _steps[name];

    /// <summary>Every step <paramref name="name"/> depends on, directly or through others.</summary>
    public IReadOnlySet<string> Upstream(string name)
    {
        if (_upstream.TryGetValue(name, out var known)) return known;
        var all = new HashSet<string>();
        foreach (var dependency in _steps[name].DependsOn)
        {
            all.Add(dependency);
            all.UnionWith(Upstream(dependency));
        }
        return _upstream[name] = all;
    }

    /// <summary>A dependency cycle as the path that closes it (<c>a -> b -> a</c>), or null when there is none.</summary>
    public static List<string>? FindCycle(PipelineDefinition pipeline)
    {
        var steps = pipeline.Steps.ToDictionary(s => s.Name);
        var finished = new HashSet<string>();
        var path = new List<string>();
        List<string>? Visit(string name)
        {
            if (finished.Contains(name)) return null;
            var at = path.IndexOf(name);
            if (at >= 0) return [.. path[at..], name];
            path.Add(name);
            foreach (var dependency in steps[name].DependsOn)
                if (Visit(dependency) is { } cycle) return cycle;
            path.RemoveAt(path.Count - 1);
            finished.Add(name);
            return null;
        }
        foreach (var step in pipeline.Steps)
            if (Visit(step.Name) is { } cycle)
            {
                // Walked along depends_on; shown in the order things run.
                cycle.Reverse();
                return cycle;
            }
        return null;
    }
}
