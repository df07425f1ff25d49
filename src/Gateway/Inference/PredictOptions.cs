namespace AiPlatform.Gateway.Inference;

/// <summary>
/// Settings under <c>Predict:</c>: how large a predict body may be, and how many requests the gateway takes at once.
/// What a body may cost to decode is the serving script's to limit (<c>AiPlatform.ScriptApi.ImageLimits</c>).
/// </summary>
public sealed class PredictOptions
{
    /// <summary>A batch of 1,024 base64 PNGs fits; anything larger is refused before it is read.</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Predict requests being answered at once; more wait in a short queue, then get 429.</summary>
    public int MaxConcurrentRequests { get; set; } = 32;

    public int QueuedRequests { get; set; } = 64;

    /// <summary>How long the gateway trusts that a service it found running still runs, before it reads the task again.</summary>
    public TimeSpan RunningServiceCacheDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Sustained predict requests per second from one client address (a token bucket of twice this depth).</summary>
    public int RequestsPerSecondPerClient { get; set; } = 200;
}
