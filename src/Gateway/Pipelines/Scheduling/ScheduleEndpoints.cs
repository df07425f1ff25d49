using System.Text.Json;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Pipelines.Scheduling;

public sealed record MissedRunsView(DateTimeOffset FirstDueAt, DateTimeOffset LastDueAt, int Count, string Reason, DateTimeOffset RecordedAt);

/// <summary>A pipeline's schedule: when it runs next, what it last started, and the runs it missed (newest first).</summary>
public sealed record ScheduleView(
    string Cron, string TimeZone, DateTimeOffset NextRunAt, DateTimeOffset? LastRunAt, Guid? LastRunId, long MissedTotal,
    IReadOnlyList<MissedRunsView> Missed);

public static class ScheduleEndpoints
{
    private const int MissedShown = 50;

    public static void MapScheduleEndpoints(this RouteGroupBuilder v2)
    {
        v2.MapGet("/pipelines/{id}/schedule", GetAsync).WithName("GetPipelineSchedule").Produces<ScheduleView>().Produces<ApiError>(404);
        v2.MapPut("/pipelines/{id}/schedule", PutAsync).WithName("SetPipelineSchedule").Accepts<ScheduleDefinition>("application/json")
            .Produces<ScheduleView>().Produces<ApiError>(400).Produces<ApiError>(404);
        v2.MapDelete("/pipelines/{id}/schedule", DeleteAsync).WithName("DeletePipelineSchedule").Produces(204).Produces<ApiError>(404);
    }

    private static async Task<IResult> GetAsync(string id, PlatformDbContext db, CancellationToken ct)
    {
        var (schedule, notFound) = await FindAsync(db, id, ct);
        return schedule is null ? notFound! : Results.Ok(await ViewAsync(db, schedule, ct));
    }

    /// <summary>
    /// Sets the schedule, or replaces it: the next run is the new expression's next occurrence from now, and what the
    /// old one started and missed stays on record. The pipeline's definition shows the schedule it runs on.
    /// </summary>
    private static async Task<IResult> PutAsync(string id, HttpRequest http, PlatformDbContext db, CancellationToken ct)
    {
        var pipeline = await FindPipelineAsync(db, id, ct);
        if (pipeline is null) return PipelineNotFound(id);
        var (body, bodyError) = await JsonBody.ReadAsync(http, RequestLimits.DefaultMaxBodyBytes, ct);
        if (body is null) return bodyError!;
        ScheduleDefinition? definition;
        using (body)
        {
            try
            {
                definition = body.Deserialize<ScheduleDefinition>(PipelineDefinition.Json);
            }
            catch (JsonException e)
            {
                return ApiError.BadRequest($"not a schedule ({{\"cron\": ..., \"time_zone\": ...}}): {e.Message}");
            }
        }
        if (definition is null) return ApiError.BadRequest("request body must be a schedule: {\"cron\": ..., \"time_zone\": ...}");
        var (parsed, error) = definition.Parse();
        if (parsed is null) return ApiError.BadRequest(error!);

        var now = DateTimeOffset.UtcNow;
        var schedule = await db.Set<PipelineScheduleState>().SingleOrDefaultAsync(s => s.PipelineId == pipeline.Id, ct);
        if (schedule is null) db.Add(schedule = PipelineScheduler.FirstState(pipeline, definition, now));
        else
        {
            schedule.Cron = definition.Cron;
            schedule.TimeZone = definition.TimeZone;
            schedule.NextRunAt = parsed.Next(now)!.Value;
        }
        pipeline.DefinitionJson = (pipeline.Definition() with { Schedule = definition }).ToJson();
        await db.SaveChangesAsync(ct);
        return Results.Ok(await ViewAsync(db, schedule, ct));
    }

    private static async Task<ScheduleView> ViewAsync(PlatformDbContext db, PipelineScheduleState schedule, CancellationToken ct)
    {
        var missed = await db.Set<MissedScheduledRuns>().AsNoTracking().Where(m => m.PipelineId == schedule.PipelineId)
            .OrderByDescending(m => m.Id).Take(MissedShown)
            .Select(m => new MissedRunsView(m.FirstDueAt, m.LastDueAt, m.Count, m.Reason, m.RecordedAt)).ToListAsync(ct);
        return new ScheduleView(schedule.Cron, schedule.TimeZone, schedule.NextRunAt, schedule.LastRunAt, schedule.LastRunId,
            schedule.MissedTotal, missed);
    }

    /// <summary>Stops the schedule: no run starts by itself any more; runs under way go on, and the missed-run record stays.</summary>
    private static async Task<IResult> DeleteAsync(string id, PlatformDbContext db, CancellationToken ct)
    {
        var (schedule, notFound) = await FindAsync(db, id, ct);
        if (schedule is null) return notFound!;
        await db.Set<PipelineScheduleState>().Where(s => s.PipelineId == schedule.PipelineId).ExecuteDeleteAsync(ct);
        if (await db.Pipelines.SingleOrDefaultAsync(p => p.Id == schedule.PipelineId, ct) is { } pipeline)
        {
            pipeline.DefinitionJson = (pipeline.Definition() with { Schedule = null }).ToJson();
            await db.SaveChangesAsync(ct);
        }
        return Results.NoContent();
    }

    private static Task<PipelineRecord?> FindPipelineAsync(PlatformDbContext db, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var pipelineId)
            ? db.Pipelines.SingleOrDefaultAsync(p => p.Id == pipelineId, ct)
            : db.Pipelines.SingleOrDefaultAsync(p => p.Name == id, ct);

    private static IResult PipelineNotFound(string id) => ApiError.Result(404, PipelineErrorCodes.PipelineNotFound, $"pipeline '{id}' does not exist");

    /// <summary>The pipeline's schedule, or the 404 that says whether the pipeline or its schedule is missing.</summary>
    private static async Task<(PipelineScheduleState? Schedule, IResult? NotFound)> FindAsync(PlatformDbContext db, string id, CancellationToken ct)
    {
        var pipeline = await FindPipelineAsync(db, id, ct);
        if (pipeline is null) return (null, PipelineNotFound(id));
        var schedule = await db.Set<PipelineScheduleState>().AsNoTracking().SingleOrDefaultAsync(s => s.PipelineId == pipeline.Id, ct);
        return schedule is null
            ? (null, ApiError.Result(404, PipelineErrorCodes.ScheduleNotFound, $"pipeline '{pipeline.Name}' has no schedule; it runs on request only"))
            : (schedule, null);
    }
}
