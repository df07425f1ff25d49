using System.Security.Claims;
using System.Text.Json;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Auth;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using AiPlatform.ServiceDefaults;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Tasks;

public static class TaskEndpoints
{
    public const int MaxPageSize = 500;

    public static RouteGroupBuilder MapTaskEndpoints(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/api/v1/tasks").WithTags("Tasks");
        tasks.MapPost("/", SubmitAsync).WithName("SubmitTask").Accepts<JsonElement>("application/json")
            .Produces<TaskCreatedView>(StatusCodes.Status201Created).Produces<ApiError>(400).Produces<ApiError>(409).Produces<ApiError>(413);
        tasks.MapGet("/", ListAsync).WithName("ListTasks").Produces<TaskPage>();
        tasks.MapGet("/{id}", GetAsync).WithName("GetTask").Produces<TaskView>().Produces<ApiError>(404);
        tasks.MapGet("/{id}/events", EventsAsync).WithName("GetTaskEvents").Produces<IReadOnlyList<TaskEventView>>().Produces<ApiError>(404);
        tasks.MapPost("/{id}/rerun", RerunAsync).WithName("RerunTask")
            .Produces<TaskCreatedView>(StatusCodes.Status201Created).Produces<ApiError>(404).Produces<ApiError>(409);
        tasks.MapPost("/{id}/cancel", CancelAsync).WithName("CancelTask").Produces<TaskView>(202).Produces<ApiError>(404).Produces<ApiError>(409);
        return tasks;
    }

    private static async Task<IResult> SubmitAsync(HttpRequest http, ClaimsPrincipal user, ScriptCatalog scripts, TaskSubmission submission,
        Microsoft.Extensions.Options.IOptions<TaskOptions> options, CancellationToken ct)
    {
        var (body, bodyError) = await JsonBody.ReadAsync(http, RequestLimits.DefaultMaxBodyBytes, ct);
        if (body is null) return bodyError!;
        SubmitTaskRequest? request;
        string? error;
        using (body) (request, error) = SubmitTaskRequest.Parse(body.RootElement);
        if (request is null) return ApiError.BadRequest(error!);

        var scriptPath = request.Script ?? (request.Type == TaskTypes.Inference ? options.Value.DefaultInferenceScript : null)!;
        var (script, scriptError) = scripts.Resolve(scriptPath);
        if (script is null) return ApiError.BadRequest($"field 'script': {scriptError}");
        return await submission.SubmitAsync(request, submission.Create(request, script, user.ActorName()), ct);
    }

    /// <summary>
    /// A new task with the same spec and the same script snapshot as task <paramref name="id"/> (the scripts folder is not
    /// read again). References are resolved again, so <c>fashion</c> names the newest version as it would on a submit.
    /// </summary>
    private static async Task<IResult> RerunAsync(string id, ClaimsPrincipal user, PlatformDbContext db, TaskSubmission submission, CancellationToken ct)
    {
        if (await FindAsync(db, id, ct) is not { } original) return NotFound(id);
        var request = new SubmitTaskRequest(original.Type, original.Name, original.ScriptPath, original.Input, original.Output, original.ParamsJson,
            original.Model, original.Device ?? "cpu", original.TimeoutSeconds) { Priority = original.Priority, Resources = original.DeclaredResources() };
        var task = submission.Create(request, new TaskScript(original.ScriptPath, original.ScriptSha256, original.ScriptSource), user.ActorName());
        task.RerunOf = original.CorrelationId;
        return await submission.SubmitAsync(request, task, ct);
    }

    private static async Task<IResult> ListAsync(PlatformDbContext db, string? type, string? status, int? limit, int? offset, string? name,
        CancellationToken ct)
    {
        if (type is not null && !TaskTypes.All.Contains(type))
            return ApiError.BadRequest($"query 'type' must be one of {string.Join(", ", TaskTypes.All)}");
        if (status is not null && !TaskStatuses.All.Contains(status))
            return ApiError.BadRequest($"query 'status' must be one of {string.Join(", ", TaskStatuses.All)}");
        if (limit is < 1 or > MaxPageSize) return ApiError.BadRequest($"query 'limit' must be between 1 and {MaxPageSize}");
        if (offset is < 0) return ApiError.BadRequest("query 'offset' must be 0 or more");

        var query = db.Tasks.AsNoTracking();
        if (type is not null) query = query.Where(t => t.Type == type);
        if (status is not null)
        {
            var state = TaskStatuses.ToState(status);
            query = query.Where(t => t.CurrentState == state);
        }
        if (name is not null) query = query.Where(t => t.Name == name);
        var total = await query.CountAsync(ct);
        var page = await query.OrderByDescending(t => t.CreatedAt).ThenBy(t => t.CorrelationId)
            .Skip(offset ?? 0).Take(limit ?? 50).ToListAsync(ct);
        return Results.Ok(new TaskPage(page.Select(TaskView.From).ToList(), total, limit ?? 50, offset ?? 0));
    }

    private static async Task<IResult> GetAsync(string id, PlatformDbContext db, CancellationToken ct) =>
        await FindAsync(db, id, ct) is { } task ? Results.Ok(TaskView.From(task)) : NotFound(id);

    private static async Task<IResult> EventsAsync(string id, PlatformDbContext db, long? after, CancellationToken ct)
    {
        if (await FindAsync(db, id, ct) is not { } task) return NotFound(id);
        var events = await db.TaskEvents.AsNoTracking()
            .Where(e => e.TaskId == task.CorrelationId && e.Id > (after ?? 0))
            .OrderBy(e => e.Id).Take(5000).ToListAsync(ct);
        return Results.Ok(events.Select(TaskEventView.From));
    }

    private static async Task<IResult> CancelAsync(string id, ClaimsPrincipal user, PlatformDbContext db, IPublishEndpoint bus, CancellationToken ct)
    {
        if (await FindAsync(db, id, ct) is not { } task) return NotFound(id);
        if (TaskStatuses.IsFinal(task.CurrentState))
            return ApiError.Result(409, ErrorCodes.TaskAlreadyFinished,
                $"task {task.CorrelationId} is already {TaskStatuses.ToStatus(task.CurrentState)}; only pending or running tasks can be cancelled");
        await bus.Publish(new CancelTask(task.CorrelationId, $"cancelled by {user.ActorName()}"), ct);
        // The saga records the cancel when it handles it; the answer already shows the request it accepted.
        task.CancelRequestedAt ??= DateTimeOffset.UtcNow;
        return Results.Accepted($"/api/v1/tasks/{task.CorrelationId}", TaskView.From(task));
    }

    internal static async Task<TaskState?> FindAsync(PlatformDbContext db, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var taskId) ? await db.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.CorrelationId == taskId, ct) : null;

    internal static IResult NotFound(string id) => ApiError.Result(404, ErrorCodes.TaskNotFound, $"task '{id}' does not exist");
}
