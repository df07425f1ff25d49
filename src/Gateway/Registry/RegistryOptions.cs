namespace AiPlatform.Gateway.Registry;

/// <summary>The registry's lifecycle settings (section <c>Registry</c>).</summary>
public sealed class RegistryOptions
{
    /// <summary>Where archived files go: a folder or <c>s3://bucket/prefix</c>; by default the lake's own store.</summary>
    public string? ColdRoot { get; set; }

    /// <summary>The prefix below the cold root (or the lake root) for archived files.</summary>
    public string ColdPrefix { get; set; } = "cold";

    /// <summary>How long a soft-deleted version can be restored before retention deletes it for good.</summary>
    public double SoftDeleteDays { get; set; } = 7;

    /// <summary>How often the retention job runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Archive versions not read for this many days, unless a resource's policy says otherwise.</summary>
    public int DefaultArchiveAfterDays { get; set; } = 30;

    /// <summary>Unreferenced files younger than this are left alone: they may belong to a write still in flight.</summary>
    public TimeSpan OrphanMinAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often pending hook deliveries are looked for when there is nothing to send.</summary>
    public TimeSpan HookPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The wait before a failed delivery's first retry; it doubles with each attempt.</summary>
    public TimeSpan HookRetryBase { get; set; } = TimeSpan.FromSeconds(2);

    public int HookMaxAttempts { get; set; } = 8;

    /// <summary>How long a hook (a gate included) has to answer.</summary>
    public TimeSpan HookTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
