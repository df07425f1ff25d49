using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry;

/// <summary>
/// Who is using a dataset or model right now: pending or running tasks (services included) that read or write it, and
/// the pipeline runs those tasks belong to. Archiving or deleting it under them would break them.
/// </summary>
public sealed class VersionUsage(PlatformDbContext db)
{
    /// <summary>Active tasks that pinned this exact version at submit.</summary>
    public Task<List<TaskState>> UsersOfVersionAsync(EntryKind kind, string name, long lanceVersion, CancellationToken ct)
    {
        var exact = LakeReference.Exact(name, lanceVersion);
        var active = db.Tasks.AsNoTracking().Where(t => TaskStatuses.ActiveStates.Contains(t.CurrentState));
        return (kind == EntryKind.Dataset
                ? active.Where(t => t.Type != TaskTypes.Inference && t.ResolvedInput == exact)
                : active.Where(t => t.ResolvedModel == exact || (t.Type != TaskTypes.Ingestion && t.ResolvedInput == exact)))
            .ToListAsync(ct);
    }

    /// <summary>Active tasks that read or write the entry, by name or any version of it.</summary>
    public Task<List<TaskState>> UsersOfResourceAsync(EntryKind kind, string name, CancellationToken ct)
    {
        var active = db.Tasks.AsNoTracking().Where(t => TaskStatuses.ActiveStates.Contains(t.CurrentState));
        var versioned = name + "@";
        return (kind == EntryKind.Dataset
                ? active.Where(t => t.Type != TaskTypes.Inference
                                    && (t.Input == name || (t.ResolvedInput != null && t.ResolvedInput.StartsWith(versioned))
                                        || (t.Type == TaskTypes.Ingestion && t.Output == name)))
                : active.Where(t => (t.Type == TaskTypes.Inference && (t.Model == name || (t.ResolvedModel != null && t.ResolvedModel.StartsWith(versioned))))
                                    || (t.Type == TaskTypes.Training && t.Output == name)))
            .ToListAsync(ct);
    }

    /// <summary>409 IN_USE naming each user (services, tasks, their pipeline runs) when there is any.</summary>
    public static void EnsureUnused(string what, string action, IReadOnlyList<TaskState> users)
    {
        if (users.Count == 0) return;
        throw new RegistryException(409, ErrorCodes.InUse,
            $"{what} cannot be {action}: it is used by {string.Join(", ", users.Select(Describe))}; cancel or wait for {(users.Count == 1 ? "it" : "them")} first");
    }

    private static string Describe(TaskState task)
    {
        var kind = task.Type == TaskTypes.Inference ? "service" : $"{task.Type} task";
        var run = task.PipelineRunId is { } runId ? $", step {task.PipelineStep} of pipeline run {runId}" : "";
        return $"{kind} {task.Name} ({task.CorrelationId}, {TaskStatuses.ToStatus(task.CurrentState)}{run})";
    }
}
