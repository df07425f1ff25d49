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
        v2.MapDelete("/pipelines/{id}/schedule", DeleteAsync).WithName("DeletePipelineSchedule").Produces(204).Produces<ApiError>(404);
    }

    private static async Task<IResult> GetAsync(string id, PlatformDbContext db, CancellationToken ct)
    {
        var (schedule, notFound) = await FindAsync(db, id, ct);
        if (schedule is null) return notFound!;
        var missed = await db.Set<MissedScheduledRuns>().AsNoTracking().Where(m => m.PipelineId == schedule.PipelineId)
            .OrderByDescending(m => m.Id).Take(MissedShown)
            .Select(m => new MissedRunsView(m.FirstDueAt, m.LastDueAt, m.Count, m.Reason, m.RecordedAt)).ToListAsync(ct);
        return Results.Ok(new ScheduleView(schedule.Cron, schedule.TimeZone, schedule.NextRunAt, schedule.LastRunAt, schedule.LastRunId,
            schedule.MissedTotal, missed));
    }

    /// <summary>Stops the schedule: no run starts by itself any more; runs under way go on, and the missed-run record stays.</summary>
    private static async Task<IResult> DeleteAsync(string id, PlatformDbContext db, CancellationToken ct)
    {
        var (schedule, notFound) = await FindAsync(db, id, ct);
        if (schedule is null) return notFound!;
        await db.Set<PipelineScheduleState>().Where(s => s.PipelineId == schedule.PipelineId).ExecuteDeleteAsync(ct);
        return Results.NoContent();
    }

    /// <summary>The pipeline's schedule, or the 404 that says whether the pipeline or its schedule is missing.</summary>
    private static async Task<(PipelineScheduleState? Schedule, IResult? NotFound)> FindAsync(PlatformDbContext db, string id, CancellationToken ct)
    {
        var pipeline = Guid.TryParse(id, out var pipelineId)
            ? await db.Pipelines.AsNoTracking().SingleOrDefaultAsync(p => p.Id == pipelineId, ct)
            : await db.Pipelines.AsNoTracking().SingleOrDefaultAsync(p => p.Name == id, ct);
        if (pipeline is null) return (null, ApiError.Result(404, PipelineErrorCodes.PipelineNotFound, $"pipeline '{id}' does not exist"));
        var schedule = await db.Set<PipelineScheduleState>().AsNoTracking().SingleOrDefaultAsync(s => s.PipelineId == pipeline.Id, ct);
        return schedule is null
            ? (null, ApiError.Result(404, PipelineErrorCodes.ScheduleNotFound, $"pipeline '{pipeline.Name}' has no schedule; it runs on request only"))
            : (schedule, null);
    }
}
