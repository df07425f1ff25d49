using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Auth;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Pipelines.Scheduling;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AiPlatform.Gateway.Pipelines;

public static class PipelineErrorCodes
{
    public const string PipelineNotFound = "PIPELINE_NOT_FOUND";
    public const string PipelineExists = "PIPELINE_EXISTS";
    public const string RunNotFound = "RUN_NOT_FOUND";
    public const string RunNotResumable = "RUN_NOT_RESUMABLE";
    public const string RunAlreadyFinished = "RUN_ALREADY_FINISHED";
    public const string ScheduleNotFound = "SCHEDULE_NOT_FOUND";
}

public static class PipelineEndpoints
{
    public const int MaxDefinitionBytes = 256 * 1024;

    public static RouteGroupBuilder MapPipelineEndpoints(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/api/v2").WithTags("Pipelines");
        v2.MapPost("/pipelines", CreateAsync).WithName("CreatePipeline").Accepts<JsonElement>("application/json")
            .Produces<PipelineView>(201).Produces<ApiError>(400).Produces<ApiError>(404).Produces<ApiError>(409);
        // The same definition as YAML: routing picks this endpoint by the request's content type.
        v2.MapPost("/pipelines", CreateFromYamlAsync).WithName("CreatePipelineFromYaml").Accepts<string>("application/yaml", "application/x-yaml", "text/yaml")
            .ExcludeFromDescription();
        v2.MapGet("/pipelines", ListAsync).WithName("ListPipelines").Produces<PipelinePage>();
        v2.MapGet("/pipelines/{id}", GetAsync).WithName("GetPipeline").Produces<PipelineView>().Produces<ApiError>(404);
        v2.MapPost("/pipelines/{id}/execute", ExecuteAsync).WithName("ExecutePipeline").Accepts<JsonElement>("application/json")
            .Produces<RunCreatedView>(201).Produces<ApiError>(400).Produces<ApiError>(404);
        v2.MapScheduleEndpoints();
        v2.MapGet("/pipelines/{id}/status", StatusAsync).WithName("GetPipelineStatus").Produces<RunView>().Produces<ApiError>(404);
        v2.MapGet("/pipelines/{id}/runs", RunsAsync).WithName("ListPipelineRuns").Produces<RunPage>().Produces<ApiError>(404);
        v2.MapGet("/runs/{id}", GetRunAsync).WithName("GetPipelineRun").Produces<RunView>().Produces<ApiError>(404);
        v2.MapPost("/runs/{id}/cancel", CancelRunAsync).WithName("CancelPipelineRun").Produces<RunView>(202).Produces<ApiError>(404).Produces<ApiError>(409);
        v2.MapPost("/runs/{id}/resume", ResumeRunAsync).WithName("ResumePipelineRun").Produces<RunView>(202).Produces<ApiError>(404).Produces<ApiError>(409);
        v2.MapTemplateEndpoints();
        return v2;
    }

    private static async Task<IResult> CreateAsync(HttpRequest http, ClaimsPrincipal user, PlatformDbContext db, PipelineValidator validator,
        PipelineTemplates templates, CancellationToken ct)
    {
        var (body, bodyError) = await JsonBody.ReadAsync(http, MaxDefinitionBytes, ct);
        if (body is null) return bodyError!;
        JsonNode? node;
        using (body) node = JsonNode.Parse(body.RootElement.GetRawText());
        if (node is JsonObject fromTemplate && fromTemplate.ContainsKey("template"))
        {
            var (definition, error) = PipelineTemplateEndpoints.FromTemplate(fromTemplate, templates);
            if (definition is null) return error!;
            node = JsonSerializer.SerializeToNode(definition, PipelineDefinition.Json);
        }
        return await StoreAsync(node, user, db, validator, ct);
    }

    private static async Task<IResult> CreateFromYamlAsync(HttpRequest http, ClaimsPrincipal user, PlatformDbContext db, PipelineValidator validator,
        CancellationToken ct)
    {
        if (http.ContentLength > MaxDefinitionBytes) return JsonBody.TooLarge(MaxDefinitionBytes);
        var buffer = new char[MaxDefinitionBytes + 1];
        using var reader = new StreamReader(http.Body);
        var length = await reader.ReadBlockAsync(buffer, ct);
        if (length > MaxDefinitionBytes) return JsonBody.TooLarge(MaxDefinitionBytes);
        JsonNode? node;
        try
        {
            node = YamlDefinition.ToJson(new string(buffer, 0, length));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            return ApiError.BadRequest($"request body is not valid YAML: {e.Message}");
        }
        return await StoreAsync(node, user, db, validator, ct);
    }

    /// <summary>Validates and stores a definition, whichever form it came in.</summary>
    private static async Task<IResult> StoreAsync(JsonNode? body, ClaimsPrincipal user, PlatformDbContext db, PipelineValidator validator, CancellationToken ct)
    {
        PipelineDefinition definition;
        try
        {
            definition = body.Deserialize<PipelineDefinition>(PipelineDefinition.Json) ?? throw new JsonException("the body is null");
        }
        catch (JsonException e)
        {
            return ApiError.BadRequest($"not a pipeline definition: {e.Message}");
        }
        var (errors, missing) = await validator.ValidateAsync(definition, ct);
        if (errors.Count > 0) return ApiError.BadRequest(string.Join("; ", errors));
        if (missing is not null) return missing.ToResult();

        var record = new PipelineRecord
        {
            Id = NewId.NextGuid(), Name = definition.Name, Description = definition.Description, DefinitionJson = definition.ToJson(),
            CreatedAt = DateTimeOffset.UtcNow, CreatedBy = user.ActorName(),
        };
        db.Pipelines.Add(record);
        if (definition.Schedule is { } schedule) db.Set<PipelineScheduleState>().Add(PipelineScheduler.FirstState(record, schedule, record.CreatedAt));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return ApiError.Result(409, PipelineErrorCodes.PipelineExists, $"a pipeline named '{definition.Name}' already exists");
        }
        return Results.Created($"/api/v2/pipelines/{record.Id}", PipelineView.From(record));
    }

    private static async Task<IResult> ListAsync(PlatformDbContext db, CancellationToken ct)
    {
        var pipelines = await db.Pipelines.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct);
        return Results.Ok(new PipelinePage(pipelines.Select(PipelineView.From).ToList(), pipelines.Count));
    }

    private static async Task<IResult> GetAsync(string id, PlatformDbContext db, CancellationToken ct) =>
        await FindPipelineAsync(db, id, ct) is { } pipeline ? Results.Ok(PipelineView.From(pipeline)) : PipelineNotFound(id);

    /// <summary>
    /// Starts a run and answers at once with its id: the run's params (defaults and the body's <c>params</c>) are
    /// checked and every step's script is snapshotted here, then the run saga starts the first steps.
    /// </summary>
    private static async Task<IResult> ExecuteAsync(string id, HttpRequest http, ClaimsPrincipal user, PlatformDbContext db, RunStarter starter,
        IPublishEndpoint bus, CancellationToken ct) =>
        await FindPipelineAsync(db, id, ct) is { } pipeline ? await StartRunAsync(pipeline, http, user, db, starter, bus, ct) : PipelineNotFound(id);

    /// <summary>Starts a run of a stored pipeline with the request's <c>params</c>; a template's execute ends here too.</summary>
    internal static async Task<IResult> StartRunAsync(PipelineRecord pipeline, HttpRequest http, ClaimsPrincipal user, PlatformDbContext db,
        RunStarter starter, IPublishEndpoint bus, CancellationToken ct)
    {
        JsonObject? overrides = null;
        if (http.ContentLength is not 0)
        {
            var (body, bodyError) = await JsonBody.ReadAsync(http, RequestLimits.DefaultMaxBodyBytes, ct);
            if (body is null) return bodyError!;
            using (body)
            {
                if (body.RootElement.ValueKind != JsonValueKind.Object) return ApiError.BadRequest("request body must be a JSON object");
                if (body.RootElement.TryGetProperty("params", out var given) && given.ValueKind != JsonValueKind.Null)
                {
                    if (given.ValueKind != JsonValueKind.Object) return ApiError.BadRequest("field 'params' must be a JSON object");
                    overrides = JsonNode.Parse(given.GetRawText())!.AsObject();
                }
            }
        }
        var (run, runError) = starter.Add(pipeline, overrides, user.ActorName(), DateTimeOffset.UtcNow);
        if (run is null) return ApiError.BadRequest(runError!);
        await db.SaveChangesAsync(ct);
        // If this publish is lost, the pipeline monitor starts the run: it is stored, so it is not lost.
        await bus.Publish(new PipelineRunSubmitted(run.CorrelationId), ct);
        return Results.Created($"/api/v2/runs/{run.CorrelationId}",
            new RunCreatedView(run.CorrelationId, pipeline.Id, PipelineRunStatuses.ToStatus(run.CurrentState), run.CreatedAt));
    }

    private static async Task<IResult> StatusAsync(string id, PlatformDbContext db, CancellationToken ct)
    {
        if (await FindPipelineAsync(db, id, ct) is not { } pipeline) return PipelineNotFound(id);
        var latest = await db.PipelineRuns.AsNoTracking().Where(r => r.PipelineId == pipeline.Id)
            .OrderByDescending(r => r.CreatedAt).FirstOrDefaultAsync(ct);
        return latest is null
            ? ApiError.Result(404, PipelineErrorCodes.RunNotFound, $"pipeline '{pipeline.Name}' has not run yet")
            : Results.Ok(await ViewAsync(db, latest, ct));
    }

    private static async Task<IResult> RunsAsync(string id, PlatformDbContext db, int? limit, int? offset, CancellationToken ct)
    {
        if (await FindPipelineAsync(db, id, ct) is not { } pipeline) return PipelineNotFound(id);
        if (limit is < 1 or > TaskEndpoints.MaxPageSize) return ApiError.BadRequest($"query 'limit' must be between 1 and {TaskEndpoints.MaxPageSize}");
        if (offset is < 0) return ApiError.BadRequest("query 'offset' must be 0 or more");
        var query = db.PipelineRuns.AsNoTracking().Where(r => r.PipelineId == pipeline.Id);
        var total = await query.CountAsync(ct);
        var page = await query.OrderByDescending(r => r.CreatedAt).Skip(offset ?? 0).Take(limit ?? 50).ToListAsync(ct);
        return Results.Ok(new RunPage(page.Select(RunSummaryView.From).ToList(), total, limit ?? 50, offset ?? 0));
    }

    private static async Task<IResult> GetRunAsync(string id, PlatformDbContext db, CancellationToken ct) =>
        await FindRunAsync(db, id, ct) is { } run ? Results.Ok(await ViewAsync(db, run, ct)) : RunNotFound(id);

    private static async Task<IResult> CancelRunAsync(string id, ClaimsPrincipal user, PlatformDbContext db, IPublishEndpoint bus, CancellationToken ct)
    {
        if (await FindRunAsync(db, id, ct) is not { } run) return RunNotFound(id);
        if (run.CurrentState is not (PipelineRunStatuses.PendingState or PipelineRunStatuses.RunningState))
            return ApiError.Result(409, PipelineErrorCodes.RunAlreadyFinished,
                $"run {run.CorrelationId} is already {PipelineRunStatuses.ToStatus(run.CurrentState)}; only pending or running runs can be cancelled");
        await bus.Publish(new CancelPipelineRun(run.CorrelationId, $"cancelled by {user.ActorName()}"), ct);
        return Results.Accepted($"/api/v2/runs/{run.CorrelationId}", await ViewAsync(db, run, ct));
    }

    private static async Task<IResult> ResumeRunAsync(string id, ClaimsPrincipal user, PlatformDbContext db, IPublishEndpoint bus, CancellationToken ct)
    {
        if (await FindRunAsync(db, id, ct) is not { } run) return RunNotFound(id);
        if (run.CurrentState is not (PipelineRunStatuses.FailedState or PipelineRunStatuses.CancelledState))
            return ApiError.Result(409, PipelineErrorCodes.RunNotResumable,
                $"run {run.CorrelationId} is {PipelineRunStatuses.ToStatus(run.CurrentState)}; only failed or cancelled runs can be resumed");
        if (run.Steps().FirstOrDefault(s => s.State == StepStates.Running) is { } stopping)
            return ApiError.Result(409, PipelineErrorCodes.RunNotResumable,
                $"step '{stopping.Name}' of run {run.CorrelationId} is still stopping; resume once it has ended");
        await bus.Publish(new ResumePipelineRun(run.CorrelationId, user.ActorName()), ct);
        return Results.Accepted($"/api/v2/runs/{run.CorrelationId}", await ViewAsync(db, run, ct));
    }

    private static async Task<RunView> ViewAsync(PlatformDbContext db, PipelineRunState run, CancellationToken ct)
    {
        var taskIds = run.Steps().Where(s => s.TaskId is not null).Select(s => s.TaskId!.Value).ToList();
        var tasks = await db.Tasks.AsNoTracking().Where(t => taskIds.Contains(t.CorrelationId)).ToDictionaryAsync(t => t.CorrelationId, ct);
        return RunView.From(run, tasks);
    }

    /// <summary>A pipeline by id or by name.</summary>
    internal static async Task<PipelineRecord?> FindPipelineAsync(PlatformDbContext db, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var pipelineId)
            ? await db.Pipelines.AsNoTracking().SingleOrDefaultAsync(p => p.Id == pipelineId, ct)
            : await db.Pipelines.AsNoTracking().SingleOrDefaultAsync(p => p.Name == id, ct);

    private static async Task<PipelineRunState?> FindRunAsync(PlatformDbContext db, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var runId) ? await db.PipelineRuns.AsNoTracking().SingleOrDefaultAsync(r => r.CorrelationId == runId, ct) : null;

    private static IResult PipelineNotFound(string id) => ApiError.Result(404, PipelineErrorCodes.PipelineNotFound, $"pipeline '{id}' does not exist");

    private static IResult RunNotFound(string id) => ApiError.Result(404, PipelineErrorCodes.RunNotFound, $"pipeline run '{id}' does not exist");
}
