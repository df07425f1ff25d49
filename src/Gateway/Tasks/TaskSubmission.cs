using System.Diagnostics;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Messages;
using AiPlatform.ServiceDefaults;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// The one way a task enters the platform: a fresh submit, a rerun and a pipeline step all build their row here and
/// pass the same admission checks, so every task keeps the same guarantees whoever asked for it.
/// </summary>
public sealed class TaskSubmission(PlatformDbContext db, ProjectScope project, TaskAdmission admission, SubmitDispatch dispatch, IPublishEndpoint bus,
    IOptions<TaskOptions> options)
{
    /// <summary>A pending task row of the scope's project for <paramref name="request"/> running <paramref name="script"/> (a snapshot, never re-read).</summary>
    public TaskState Create(SubmitTaskRequest request, TaskScript script, string? submittedBy, Guid? id = null) => new()
    {
        CorrelationId = id ?? NewId.NextGuid(),
        Project = project.Required,
        CurrentState = TaskStatuses.PendingState,
        Type = request.Type,
        Name = request.Name,
        // A serving script's input is the model it serves.
        Input = request.Type == TaskTypes.Inference ? request.Input ?? request.Model : request.Input,
        Output = request.Output,
        ParamsJson = request.ParamsJson,
        ScriptPath = script.Path,
        ScriptSha256 = script.Sha256,
        ScriptSource = script.Source,
        Model = request.Model,
        Device = request.Device,
        Priority = request.Priority,
        ResourceCpu = request.Resources?.Cpu,
        ResourceMemoryMiB = request.Resources?.MemoryMiB,
        TimeoutSeconds = request.TimeoutSeconds
                         ?? (options.Value.DefaultTimeoutSeconds.TryGetValue(request.Type, out var limit) && limit > 0 ? limit : null),
        SubmittedBy = submittedBy,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    public Task<TaskRefusal?> AdmitAsync(SubmitTaskRequest request, TaskState task, CancellationToken ct) => admission.CheckAsync(request, task, ct);

    /// <summary>Admits, stores and dispatches <paramref name="task"/>; answers 201 with it, or the refusal.</summary>
    public async Task<IResult> SubmitAsync(SubmitTaskRequest request, TaskState task, CancellationToken ct)
    {
        if (await AdmitAsync(request, task, ct) is { } refusal) return refusal.ToResult();
        var sendsItself = SubmitDispatch.Prepare(task);
        db.Tasks.Add(task);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException
                                          { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: PlatformDbContext.ActiveNameIndex })
        {
            db.Entry(task).State = EntityState.Detached;
            return request.Type == TaskTypes.Inference
                ? ApiError.Result(409, ErrorCodes.ServiceAlreadyExists, $"an inference service named '{request.Name}' is already running")
                : ApiError.Result(409, ErrorCodes.TaskAlreadyRunning,
                    $"{(request.Type == TaskTypes.Training ? "a" : "an")} {request.Type} task named '{request.Name}' is already pending or running");
        }

        // The submit's span roots the task's trace: tagged, it can be found from the task.
        Activity.Current?.SetTag(PlatformTracing.TaskIdTag, task.CorrelationId);
        // Either way the task is stored first: a command or TaskSubmitted that is lost is sent again by the task monitor.
        if (sendsItself) await dispatch.SendAsync(task);
        else await bus.Publish(new TaskSubmitted(task.CorrelationId), ct);
        PlatformMetrics.TasksSubmitted.Add(1, new KeyValuePair<string, object?>("type", task.Type));
        return Results.Created($"/api/v1/tasks/{task.CorrelationId}",
            new TaskCreatedView(task.CorrelationId, task.Type, task.Name, TaskStatuses.ToStatus(task.CurrentState), task.CreatedAt, task.RerunOf));
    }
}
