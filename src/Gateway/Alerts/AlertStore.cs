using System.Text.Json;
using AiPlatform.Gateway.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Alerts;

/// <summary>The alerts Alertmanager reported, for the API and the monitoring page.</summary>
public sealed class AlertStore(PlatformDbContext db, TimeProvider clock)
{
    /// <summary>
    /// Records each alert, one row per firing episode. Alertmanager repeats notifications and retries failed ones, so a
    /// resolved episode stays resolved when a late copy of its firing notification arrives.
    /// </summary>
    public async Task RecordAsync(IReadOnlyList<ReceivedAlert> alerts, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var alert in alerts)
        {
            var labels = JsonSerializer.Serialize(alert.Labels);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO alerts ("Fingerprint", "StartsAt", "Name", "Status", "Severity", "Summary", "Description", "LabelsJson",
                                    "EndsAt", "GeneratorUrl", "FirstReceivedAt", "LastReceivedAt", "Notifications")
                VALUES ({alert.Fingerprint}, {alert.StartsAt}, {alert.Name}, {alert.Status}, {alert.Severity}, {alert.Summary},
                        {alert.Description}, CAST({labels} AS jsonb), {alert.EndsAt}, {alert.GeneratorUrl}, {now}, {now}, 1)
                ON CONFLICT ("Fingerprint", "StartsAt") DO UPDATE SET
                    "Status" = CASE WHEN alerts."Status" = 'resolved' THEN alerts."Status" ELSE EXCLUDED."Status" END,
                    "EndsAt" = CASE WHEN alerts."Status" = 'resolved' THEN alerts."EndsAt" ELSE EXCLUDED."EndsAt" END,
                    "Summary" = EXCLUDED."Summary", "Description" = EXCLUDED."Description",
                    "LastReceivedAt" = EXCLUDED."LastReceivedAt", "Notifications" = alerts."Notifications" + 1
                """, ct);
        }
    }

    /// <summary>Firing alerts first, then the most recently started; <paramref name="status"/> null for both.</summary>
    public async Task<IReadOnlyList<AlertRecord>> ListAsync(string? status, int limit, CancellationToken ct)
    {
        var query = db.Set<AlertRecord>().AsNoTracking();
        if (status is not null) query = query.Where(a => a.Status == status);
        return await query.OrderBy(a => a.Status == "firing" ? 0 : 1).ThenByDescending(a => a.StartsAt).Take(limit).ToListAsync(ct);
    }
}
