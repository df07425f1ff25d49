using AiPlatform.Gateway.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry.Hooks;

/// <summary>
/// Turns the audit records a registry transaction wrote into pending deliveries for every hook that wants them, in
/// that same transaction: a change is reported if and only if it commits, and a crash loses no report.
/// </summary>
public static class HookOutbox
{
    public static async Task EnqueueAsync(PlatformDbContext db, CancellationToken ct)
    {
        var written = db.ChangeTracker.Entries<RegistryAuditRecord>().Select(e => e.Entity.Id).Where(id => id > 0).ToArray();
        if (written.Length == 0) return;
        // One statement: each audit record joined with the hooks whose scope and events match it. The payload is the record.
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO registry_hook_deliveries ("HookId", "Event", "PayloadJson", "Status", "Attempts", "CreatedAt", "NextAttemptAt")
            SELECT h."Id", a."Action",
                   jsonb_build_object('event', a."Action", 'project', a."Project", 'kind', a."Kind", 'name', a."Name", 'version', a."SemanticVersion", 'actor', a."Actor",
                                      'at', a."At", 'reason', a."Reason", 'before', a."BeforeJson", 'after', a."AfterJson", 'audit_id', a."Id"),
                   {HookDeliveryStatus.Pending}, 0, a."At", a."At"
            FROM registry_audit a
            JOIN registry_hooks h ON NOT h."Gate" AND (h."Project" IS NULL OR h."Project" = a."Project")
                 AND (h."Kind" IS NULL OR h."Kind" = a."Kind") AND (h."Name" IS NULL OR h."Name" = a."Name")
                 AND (cardinality(h."Events") = 0 OR a."Action" = ANY (h."Events"))
            WHERE a."Id" = ANY ({written})
            """, ct);
    }
}
