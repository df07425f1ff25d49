using System.Text.Json.Nodes;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry;

/// <summary>
/// Registers what a completed task committed. A script's result carries a <c>lake</c> report (what it opened and
/// saved); the versions saved exist in the lake by then, so registering them now keeps the rule that the registry
/// lists only committed versions. What it opened counts as read for retention. Redelivery is harmless: registration is
/// idempotent, and so is marking a read.
/// </summary>
public sealed class TaskResultRegistrar(PlatformDbContext db, ProjectScope project, RegistryService registry, RegistryReads reads, ProjectLake lake,
    ILogger<TaskResultRegistrar> logger)
    : IConsumer<TaskCompleted>
{
    public const string QueueName = "registry-task-results";

    public async Task Consume(ConsumeContext<TaskCompleted> context)
    {
        var ct = context.CancellationToken;
        if (JsonNode.Parse(context.Message.ResultJson)?["lake"] is not JsonObject report) return;
        var task = await db.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.CorrelationId == context.Message.TaskId, ct);
        if (task is null) return;
        // What the task opened and saved are names in its own project's lake and registry.
        project.Enter(task.Project);
        var opened = Uses(report["opened"]);
        foreach (var read in opened) await reads.MarkAsync(read.Kind, read.Name, read.LanceVersion, ct);
        var sources = opened.Select(o => new VersionSource(o.Kind, o.Name, o.LanceVersion, o.Kind == EntryKind.Dataset ? "input" : "parent")).ToList();
        foreach (var saved in Uses(report["saved"]))
        {
            var (metrics, parameters) = saved.Kind == EntryKind.Model
                ? await ModelFactsAsync(saved.Name, saved.LanceVersion, ct)
                : ("{}", task.ParamsJson);
            var version = await registry.RegisterAsync(new VersionRegistration(saved.Kind, saved.Name, saved.LanceVersion, "task", $"task:{task.CorrelationId}",
                SemanticVersion.TryParse(saved.SemanticVersion, out var requested) ? requested : null,
                task.CorrelationId, task.ScriptPath, task.ScriptSha256, metrics, parameters, sources), ct);
            logger.LogInformation("Registered {Kind} {Name}:{Version} (lance version {LanceVersion}) from task {TaskId}",
                RegistryService.KindName(saved.Kind), saved.Name, version.SemanticVersion, saved.LanceVersion, task.CorrelationId);
        }
        foreach (var evaluation in (report["evaluated"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (evaluation["model"]?.GetValue<string>() is not { } model || !IsValidName(model)
                || evaluation["lance_version"]?.GetValue<long>() is not (> 0 and var lanceVersion) || evaluation["metrics"] is not JsonObject metrics) continue;
            var datasets = Uses(evaluation["datasets"]).Select(d => LakeReference.Exact(d.Name, d.LanceVersion)).ToList();
            var on = datasets.Count == 0 ? $"task {task.CorrelationId}" : $"{string.Join(", ", datasets)} by task {task.CorrelationId}";
            var version = await registry.RecordEvaluationAsync(model, lanceVersion, metrics, on, $"task:{task.CorrelationId}", ct);
            logger.LogInformation("Recorded the evaluation of model {Model}:{Version} on {Datasets} from task {TaskId}",
                model, version?.SemanticVersion, string.Join(", ", datasets), task.CorrelationId);
        }
    }

    private async Task<(string Metrics, string Params)> ModelFactsAsync(string name, long lanceVersion, CancellationToken ct)
    {
        var model = await lake.Catalog.Models.LoadAsync(name, lanceVersion, ct);
        return (model.Metrics.ToJsonString(), model.Params.ToJsonString());
    }

    private static List<(EntryKind Kind, string Name, long LanceVersion, string? SemanticVersion)> Uses(JsonNode? list) =>
        (list as JsonArray ?? []).OfType<JsonObject>()
        .Select(u => (Kind: u["kind"]?.GetValue<string>() == "model" ? EntryKind.Model : EntryKind.Dataset,
            Name: u["name"]?.GetValue<string>() ?? "", LanceVersion: u["lance_version"]?.GetValue<long>() ?? 0,
            SemanticVersion: u["semantic_version"]?.GetValue<string>()))
        .Where(u => u.LanceVersion > 0 && IsValidName(u.Name))
        .ToList();

    private static bool IsValidName(string name)
    {
        try
        {
            LakeCatalog.ValidateName(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
