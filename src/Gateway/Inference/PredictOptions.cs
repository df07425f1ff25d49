namespace AiPlatform.Gateway.Inference;

/// <summary>Settings under <c>Predict:</c>: what one predict request may cost, and how many the gateway takes at once.</summary>
public sealed class PredictOptions
{
    public int MaxImagesPerRequest { get; set; } = 1024;

    /// <summary>2048 x 2048: a phone photo scaled for upload; far more than a 28x28 model needs.</summary>
    public long MaxPixelsPerImage { get; set; } = 2048 * 2048;

    public long MaxPixelsPerRequest { get; set; } = 4 * 2048 * 2048;

    /// <summary>A full batch of base64 PNGs fits; anything larger is refused before it is read.</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Predict requests being decoded or answered at once; more wait in a short queue, then get 429.</summary>
    public int MaxConcurrentRequests { get; set; } = 32;

    public int QueuedRequests { get; set; } = 64;

    /// <summary>Sustained predict requests per second from one client address (a token bucket of twice this depth).</summary>
    public int RequestsPerSecondPerClient { get; set; } = 200;
}
