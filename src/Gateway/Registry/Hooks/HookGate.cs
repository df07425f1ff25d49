using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Lake.Catalog;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry.Hooks;

public static class HookErrorCodes
{
    public const string GateRejected = "GATE_REJECTED";
}

/// <summary>
/// Gate hooks: called one after the other before a promotion or alias move (<paramref name="alias"/> null: a stage
/// change to active); any answer but 2xx (or no answer) vetoes
/// it, and the veto's reason (<c>{"reason": "..."}</c> in the answer, else its text) is what the caller is told.
/// </summary>
public sealed class HookGate(PlatformDbContext db, ProjectScope project, HookDispatcher dispatcher, TimeProvider clock)
{
    public const string Event = "promotion_requested";

    public async Task CheckAsync(EntryKind kind, string name, string? alias, string version, string actor, string? reason, CancellationToken ct)
    {
        var kindName = RegistryService.KindName(kind);
        var projectName = project.Required;
        var gates = await db.Set<RegistryHook>().AsNoTracking()
            .Where(h => h.Gate && (h.Project == null || h.Project == projectName) && (h.Kind == null || h.Kind == kindName) && (h.Name == null || h.Name == name)).OrderBy(h => h.CreatedAt).ToListAsync(ct);
        foreach (var gate in gates)
        {
            var payload = JsonSerializer.Serialize(new { @event = Event, project = projectName, kind = kindName, name, alias, version, actor, reason, at = clock.GetUtcNow() });
            var delivery = new HookDelivery { HookId = gate.Id, Event = Event, PayloadJson = payload, CreatedAt = clock.GetUtcNow(), Attempts = 1 };
            var (status, error) = await dispatcher.SendAsync(gate, Event, $"gate-{Guid.NewGuid():N}", payload, ct);
            delivery.Status = error is null ? HookDeliveryStatus.Allowed : HookDeliveryStatus.Vetoed;
            delivery.LastStatusCode = status;
            delivery.LastError = error is null ? null : VetoReason(error);
            delivery.FinishedAt = clock.GetUtcNow();
            db.Set<HookDelivery>().Add(delivery);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            if (error is not null)
                throw new RegistryException(409, HookErrorCodes.GateRejected,
                    $"gate hook {gate.Id} ({gate.Url}) rejected " +
                    (alias is null ? $"making {RegistryException.Noun(kind)} {name}:{version} active" : $"moving {alias} of {RegistryException.Noun(kind)} '{name}' to {version}") +
                    $": {delivery.LastError}");
        }
    }

    /// <summary>The reason the gate gave in its JSON answer, or what it answered.</summary>
    private static string VetoReason(string error)
    {
        var colon = error.IndexOf(": ", StringComparison.Ordinal);
        if (colon < 0) return error;
        try
        {
            return JsonNode.Parse(error[(colon + 2)..])?["reason"]?.GetValue<string>() ?? error;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return error;
        }
    }
}
