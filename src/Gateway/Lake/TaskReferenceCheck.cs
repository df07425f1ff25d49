using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Gateway.Registry;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Lake;

/// <summary>
/// Pins a task's dataset and model references (<c>fashion@3</c>, <c>fashion-cnn@production</c>, <c>fashion:2.0.0</c>)
/// to exact versions at submit, so every attempt reads the same version and the task records which one. A reference
/// that cannot be resolved refuses the task here rather than failing it on a worker.
/// </summary>
/// <remarks>
/// An archived version refuses the task (409 VERSION_ARCHIVED) unless the submit asks <c>?restore=true</c>: then it is
/// restored first, in the submit. Each version a task pins is marked read, which is what retention goes by.
/// </remarks>
public sealed class TaskReferenceCheck(ReferenceResolver resolver, ProjectLake lake, IHttpContextAccessor http, IServiceScopeFactory scopes,
    ProjectScope project)
    : ITaskAdmissionCheck
{
    public const string RestoreQuery = "restore";

    public async Task<TaskRefusal?> CheckAsync(SubmitTaskRequest request, TaskState task, CancellationToken ct)
    {
        try
        {
            if (request.Type == TaskTypes.Inference)
            {
                var model = await ResolveAsync(EntryKind.Model, "model", request.Model!, ct);
                task.ResolvedModel = model.Exact;
                // A serving script's input is the model it serves.
                if (task.Input is null || task.Input == request.Model) task.ResolvedInput = model.Exact;
            }
            else if (request.Type == TaskTypes.Training)
            {
                // A dataset that does not exist is refused here, by name, rather than failing on a worker later.
                if (request.Input is { } input && await NamesDatasetAsync(input, ct))
                    task.ResolvedInput = (await ResolveAsync(EntryKind.Dataset, "input", input, ct)).Exact;
                // A model a training task names (to evaluate, or to start from) is pinned like a service's.
                if (request.Model is { } model) task.ResolvedModel = (await ResolveAsync(EntryKind.Model, "model", model, ct)).Exact;
            }
            return null;
        }
        catch (RegistryException e)
        {
            return new TaskRefusal(e.Status, e.Code, e.Message);
        }
    }

    private async Task<ResolvedReference> ResolveAsync(EntryKind kind, string field, string reference, CancellationToken ct)
    {
        ResolvedReference resolved;
        try
        {
            resolved = await resolver.ResolveAsync(kind, reference, ct);
        }
        catch (RegistryException e) when (e.Code == ErrorCodes.InvalidRequest)
        {
            throw RegistryException.BadRequest($"field '{field}': {e.Message}");
        }
        catch (RegistryException e) when (e.Archived is not null && RestoreRequested())
        {
            await RestoreAsync(e.Archived, ct);
            resolved = await resolver.ResolveAsync(kind, reference, ct);
        }
        if (resolved.Registered is { } version) await MarkReadAsync(version.Id, ct);
        return resolved;
    }

    private bool RestoreRequested() => http.HttpContext?.Request.Query[RestoreQuery].ToString() is "true" or "1";

    /// <summary>In a scope of its own: the restore commits its own transaction, apart from the submit's unit of work.</summary>
    private async Task RestoreAsync(ArchivedVersionRef archived, CancellationToken ct)
    {
        using var scope = scopes.CreateScope(project.Required);
        await scope.ServiceProvider.GetRequiredService<RegistryLifecycle>().RestoreAsync(archived.Kind, archived.Name, archived.Version,
            "restored for a task submitted with ?restore=true", RegistryEndpoints.Actor(http.HttpContext!), ct);
    }

    /// <summary>In a scope of its own, apart from the submit's unit of work.</summary>
    private async Task MarkReadAsync(long versionId, CancellationToken ct)
    {
        using var scope = scopes.CreateScope(project.Required);
        await scope.ServiceProvider.GetRequiredService<RegistryReads>().MarkAsync(versionId, ct);
    }

    /// <summary>
    /// Training inputs that are not references at all (a path, a URI) are not the registry's business; anything shaped
    /// like a reference is one, and so is a malformed reference to an existing dataset, which is refused rather than
    /// passed on.
    /// </summary>
    private async Task<bool> NamesDatasetAsync(string input, CancellationToken ct)
    {
        try
        {
            LakeReference.Parse(input);
            return true;
        }
        catch (ArgumentException)
        {
            var name = input.Split('@', ':')[0];
            try
            {
                return (await lake.Catalog.ListVersionsAsync(EntryKind.Dataset, name, ct)).Count > 0;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
    }
}
