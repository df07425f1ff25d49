using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry.Hooks;

/// <summary>A webhook on registry changes: of one dataset or model, of every one of a kind, or of everything (Kind and Name null).</summary>
public class RegistryHook
{
    public Guid Id { get; set; }

    /// <summary>The project whose changes it is called on; null for every project's.</summary>
    public string? Project { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string Url { get; set; } = "";

    /// <summary>Signs each body (HMAC-SHA256), so the receiver knows it came from this platform.</summary>
    public string Secret { get; set; } = "";

    /// <summary>The audit actions it is called on; empty: all of them.</summary>
    public string[] Events { get; set; } = [];

    /// <summary>Called synchronously before a promotion or alias move, which it can veto.</summary>
    public bool Gate { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
}

/// <summary>One call (with its retries) of a hook: the delivery log.</summary>
public class HookDelivery
{
    public long Id { get; set; }
    public Guid HookId { get; set; }
    public string Event { get; set; } = "";
    public string PayloadJson { get; set; } = "{}";

    /// <summary><see cref="HookDeliveryStatus"/>.</summary>
    public string Status { get; set; } = HookDeliveryStatus.Pending;

    public int Attempts { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}

public static class HookDeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    /// <summary>A gate's answer: it let the change through.</summary>
    public const string Allowed = "allowed";
    /// <summary>A gate's answer: it vetoed the change.</summary>
    public const string Vetoed = "vetoed";
}

public static class HookModel
{
    /// <summary>Maps the hook tables (created by the <c>20261202100000_RegistryLifecycle</c> migration).</summary>
    public static void Configure(ModelBuilder model)
    {
        model.Entity<RegistryHook>(h => h.ToTable("registry_hooks"));
        model.Entity<HookDelivery>(d =>
        {
            d.ToTable("registry_hook_deliveries");
            d.Property(x => x.Id).UseIdentityAlwaysColumn();
            d.Property(x => x.PayloadJson).HasColumnType("jsonb");
        });
    }
}
