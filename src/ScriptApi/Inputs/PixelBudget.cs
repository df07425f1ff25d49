namespace AiPlatform.ScriptApi;

/// <summary>
/// Pixels one predict request may still decode: a cap per image and one for the whole request, so a small compressed
/// body cannot make a serving script allocate and process a huge bitmap (or eight of them).
/// </summary>
public sealed class PixelBudget(long perImage, long perRequest)
{
    private long _charged;

    /// <summary>Charges an image of this size, or says why it does not fit (and charges nothing).</summary>
    public string? Refusal(long width, long height)
    {
        var pixels = width * height;
        if (pixels > perImage) return $"an image of {width}x{height} pixels is over the limit of {perImage} pixels per image";
        if (_charged + pixels > perRequest) return $"the images of this request are over the limit of {perRequest} pixels per request";
        _charged += pixels;
        return null;
    }
}
