namespace AiPlatform.Gateway.Monitoring;

/// <summary>Settings under <c>Stream:</c>, the monitoring page's live event stream.</summary>
public sealed class StreamOptions
{
    /// <summary>Open event-stream connections at once; one more is answered 429.</summary>
    public int MaxConnections { get; set; } = 64;

    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(2);
}
