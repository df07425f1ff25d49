using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Tasks;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>Settings under <c>Pipelines:</c> for templates.</summary>
public sealed class TemplateOptions
{
    /// <summary>Folders of template files (<c>NAME.yaml</c>, <c>.yml</c> or <c>.json</c>), searched in order. Empty: the
    /// <c>pipelines/templates</c> folder beside each scripts root (a checkout keeps <c>scripts/</c> and <c>pipelines/</c> side by side).</summary>
    public List<string> TemplateRoots { get; set; } = [];
}

/// <summary>A shipped pipeline definition, run as it is or used to make a pipeline of one's own.</summary>
public sealed record PipelineTemplate(string Name, string File, PipelineDefinition Definition);

/// <summary>
/// The templates the deployment ships: pipeline definitions in files the deployment's operators control, like its
/// scripts. Read from disk at each call, so a template edited in the checkout is what the next run uses.
/// </summary>
public sealed class PipelineTemplates(IOptions<TemplateOptions> templates, IOptions<ScriptOptions> scripts)
{
    public const string CreatedBy = "template";
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    private IEnumerable<string> Roots => templates.Value.TemplateRoots.Count > 0
        ? templates.Value.TemplateRoots
        : scripts.Value.Roots.Select(r => Path.Combine(Path.GetFullPath(r), "..", "pipelines", "templates"));

    public IReadOnlyList<PipelineTemplate> List()
    {
        var found = new Dictionary<string, PipelineTemplate>();
        foreach (var root in Roots.Where(Directory.Exists))
            foreach (var file in Directory.EnumerateFiles(root).Where(f => Extensions.Contains(Path.GetExtension(f))).Order())
                found.TryAdd(Path.GetFileNameWithoutExtension(file), Read(file));
        return [.. found.Values.OrderBy(t => t.Name)];
    }

    /// <summary>The template named <paramref name="name"/>; null when there is none (names are file names, never paths).</summary>
    public PipelineTemplate? Find(string name) =>
        name.Any(c => c is '/' or '\\') || name.StartsWith('.') ? null : List().FirstOrDefault(t => t.Name == name);

    /// <summary>
    /// A template's definition with the given params' defaults replaced: how <c>POST /api/v2/pipelines</c> with
    /// <c>"template"</c> makes a pipeline of one's own (its name and defaults) from a shipped one.
    /// </summary>
    public static (PipelineDefinition? Definition, string? Error) Instantiate(PipelineTemplate template, string name, string? description, JsonObject? defaults)
    {
        var declared = new Dictionary<string, JsonNode?>(template.Definition.Params);
        foreach (var (param, value) in defaults ?? [])
        {
            if (!declared.TryGetValue(param, out var spec))
                return (null, $"param '{param}' is not declared by template '{template.Name}' (declared: {string.Join(", ", declared.Keys)})");
            var type = ParamSpec.Parse(param, spec).Spec?.Type;
            if (value is null || type is null) return (null, $"param '{param}' needs a value");
            if (ParamSpec.TypeError(param, type, value) is { } error) return (null, error);
            declared[param] = new JsonObject { ["type"] = type, ["default"] = value.DeepClone() };
        }
        return (template.Definition with { Name = name, Description = description ?? template.Definition.Description, Params = declared }, null);
    }

    private static PipelineTemplate Read(string file)
    {
        var text = File.ReadAllText(file);
        var json = Path.GetExtension(file) == ".json" ? JsonNode.Parse(text) : YamlDefinition.ToJson(text);
        var definition = json.Deserialize<PipelineDefinition>(PipelineDefinition.Json)
                         ?? throw new InvalidDataException($"template {Path.GetFileName(file)} is empty");
        var name = Path.GetFileNameWithoutExtension(file);
        return new PipelineTemplate(name, file, definition with { Name = name });
    }
}
