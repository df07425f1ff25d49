using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Pipelines.Scheduling;

/// <summary>
/// Starts scheduled runs. Every gateway runs one; an occurrence is started by the one whose
/// <c>UPDATE ... WHERE "NextRunAt" = @due</c> moves the schedule on, in the same transaction as the run it stores, so
/// of several gateways exactly one starts it, and a gateway that dies between claim and commit started nothing.
/// Occurrences nobody reached in time (every gateway down, the database away) are recorded as missed and never
/// replayed: at most the latest due one runs, and only if it is less than <see cref="PipelineOptions.ScheduleGrace"/> late.
/// </summary>
public sealed class PipelineScheduler(IServiceScopeFactory scopes, IBus bus, TimeProvider clock, IOptions<PipelineOptions> options,
    ILogger<PipelineScheduler> logger) : BackgroundService
{
    public const string Actor = "scheduler";

    public static PipelineScheduleState FirstState(PipelineRecord pipeline, ScheduleDefinition schedule, DateTimeOffset now) => new()
    {
        PipelineId = pipeline.Id,
        Cron = schedule.Cron,
        TimeZone = schedule.TimeZone,
        NextRunAt = schedule.Parse().Schedule!.Next(now)!.Value,
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SchedulerInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database or the broker is away: what falls due meanwhile is started late or reported missed.
                logger.LogWarning("Schedule pass failed: {Message}", e.Message);
            }
        }
    }

    /// <summary>One pass over the schedules due now.</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        List<PipelineScheduleState> due;
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            due = await db.Set<PipelineScheduleState>().AsNoTracking().Where(s => s.NextRunAt <= now).ToListAsync(ct);
        }
        foreach (var schedule in due)
        {
            if (await FireAsync(schedule, now, ct) is { } runId) await bus.Publish(new PipelineRunSubmitted(runId), ct);
        }
    }

    /// <returns>The run started, or null when another gateway had the occurrence or none was to run.</returns>
    private async Task<Guid?> FireAsync(PipelineScheduleState schedule, DateTimeOffset now, CancellationToken ct)
    {
        var (cron, error) = new ScheduleDefinition { Cron = schedule.Cron, TimeZone = schedule.TimeZone }.Parse();
        if (cron is null)
        {
            logger.LogError("Schedule of pipeline {PipelineId} no longer parses: {Error}", schedule.PipelineId, error);
            return null;
        }
        var occurrences = Occurrences.Of(cron, schedule.NextRunAt, now);
        var toRun = occurrences.Latest is { } latest && now - latest <= options.Value.ScheduleGrace ? latest : (DateTimeOffset?)null;
        // Validation refuses a schedule that never fires; a century away stands for "not again" all the same.
        var next = cron.Next(now) ?? now.AddYears(100);

        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""UPDATE pipeline_schedules SET "NextRunAt" = {next} WHERE "PipelineId" = {schedule.PipelineId} AND "NextRunAt" = {schedule.NextRunAt}""", ct);
        if (claimed == 0) return null;

        var missed = new List<MissedScheduledRuns>();
        if (occurrences.Count - (toRun is null ? 0 : 1) is var missedCount and > 0)
            missed.Add(new MissedScheduledRuns
            {
                PipelineId = schedule.PipelineId, FirstDueAt = occurrences.First!.Value,
                LastDueAt = toRun is null ? occurrences.Latest!.Value : occurrences.BeforeLatest!.Value, Count = missedCount, RecordedAt = now,
                Reason = $"not started in time: no gateway was scheduling (all down, or the database unreachable); " +
                         $"runs more than {options.Value.ScheduleGrace.TotalSeconds:0} s late are reported, not replayed",
            });

        PipelineRunState? run = null;
        if (toRun is { } dueAt)
        {
            var pipeline = await db.Pipelines.AsNoTracking().SingleAsync(p => p.Id == schedule.PipelineId, ct);
            (run, var runError) = scope.ServiceProvider.GetRequiredService<RunStarter>().Add(pipeline, null, Actor, now);
            if (run is null)
                missed.Add(new MissedScheduledRuns
                {
                    PipelineId = schedule.PipelineId, FirstDueAt = dueAt, LastDueAt = dueAt, Count = 1, RecordedAt = now,
                    Reason = $"could not start: {runError}",
                });
        }
        db.Set<MissedScheduledRuns>().AddRange(missed);
        await db.SaveChangesAsync(ct);
        var missedNow = missed.Sum(m => m.Count);
        if (run is not null)
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""UPDATE pipeline_schedules SET "LastRunAt" = {toRun!.Value}, "LastRunId" = {run.CorrelationId} WHERE "PipelineId" = {schedule.PipelineId}""", ct);
        if (missedNow > 0)
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""UPDATE pipeline_schedules SET "MissedTotal" = "MissedTotal" + {missedNow} WHERE "PipelineId" = {schedule.PipelineId}""", ct);
        await transaction.CommitAsync(ct);
        if (missedNow > 0)
            logger.LogWarning("Pipeline {PipelineId}: {Missed} scheduled run(s) from {First:O} missed", schedule.PipelineId, missedNow, missed[0].FirstDueAt);
        // If the publish is lost, the pipeline monitor starts the stored run.
        return run?.CorrelationId;
    }

    /// <summary>The occurrences due from the schedule's next run up to now: how many, the first, the latest and the one before it.</summary>
    private readonly record struct Occurrences(int Count, DateTimeOffset? First, DateTimeOffset? Latest, DateTimeOffset? BeforeLatest)
    {
        public static Occurrences Of(CronSchedule cron, DateTimeOffset from, DateTimeOffset to)
        {
            var result = new Occurrences(0, null, null, null);
            foreach (var occurrence in cron.Between(from, to))
                result = new Occurrences(result.Count + 1, result.First ?? occurrence, occurrence, result.Latest);
            return result;
        }
    }
}
