using System.Text.Json;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Records progress reports on the timeline and sets each running task's latest progress, a batch at a time: a training
/// that reports every few steps costs the database one transaction per batch of reports (from all tasks), not one saga
/// transaction per report. Only the newest report of a task's current attempt counts, and only while it runs: a report
/// that arrives late (after a newer one, after the end, from an attempt given up for lost) changes nothing.
/// </summary>
public sealed class TaskProgressRecorder(PlatformDbContext db, TaskFeed feed) : TaskEventRecorder<TaskProgressed>(db, feed)
{
    protected override async Task SaveAsync(PlatformDbContext db, Batch<TaskProgressed> batch, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await ApplyNewestAsync(db, batch, ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Metrics that are not JSON are left out rather than cast: one bad report would otherwise fail its whole batch,
    /// other tasks' timelines included. The timeline still shows them, as text.
    /// </summary>
    private static bool IsJson(string? text)
    {
        if (text is null) return false;
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task ApplyNewestAsync(PlatformDbContext db, Batch<TaskProgressed> batch, CancellationToken ct)
    {
        // A batch's reports of one attempt fold into one, as if applied in turn: the newest message, and the newest
        // fraction and metrics of those that have them.
        var newest = batch.Select(item => item.Message).GroupBy(m => (m.TaskId, m.Attempt)).Select(reports =>
        {
            var ordered = reports.OrderBy(m => m.Timestamp).ToList();
            return ordered[^1] with
            {
                Fraction = ordered.LastOrDefault(m => m.Fraction is not null)?.Fraction,
                MetricsJson = ordered.LastOrDefault(m => IsJson(m.MetricsJson))?.MetricsJson,
            };
        }).ToList();
        // An inference service's replicas all report under the attempt they were started with, so any attempt of it counts.
        await db.Database.ExecuteSqlRawAsync($"""
            UPDATE tasks AS t
               SET "ProgressFraction" = coalesce(p.fraction, t."ProgressFraction"),
                   "ProgressMessage" = p.message,
                   "ProgressMetricsJson" = coalesce(p.metrics::jsonb, t."ProgressMetricsJson"),
                   "ProgressAt" = p.at
              FROM unnest(@ids, @attempts, @fractions, @messages, @metrics, @ats) AS p(id, attempt, fraction, message, metrics, at)
             WHERE t.id = p.id
               AND t."CurrentState" = '{TaskStatuses.RunningState}'
               AND (t."Attempts" = p.attempt OR t."Type" = '{TaskTypes.Inference}')
               AND (t."ProgressAt" IS NULL OR t."ProgressAt" <= p.at)
            """,
            [
                new NpgsqlParameter("ids", newest.Select(m => m.TaskId).ToArray()),
                new NpgsqlParameter("attempts", newest.Select(m => m.Attempt).ToArray()),
                new NpgsqlParameter("fractions", newest.Select(m => m.Fraction).ToArray()),
                new NpgsqlParameter("messages", newest.Select(m => m.Message).ToArray()),
                new NpgsqlParameter("metrics", newest.Select(m => m.MetricsJson).ToArray()),
                new NpgsqlParameter("ats", newest.Select(m => m.Timestamp.ToUniversalTime()).ToArray()),
            ], ct);
    }
}
