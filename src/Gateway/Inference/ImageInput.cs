using System.Text.Json;

namespace AiPlatform.Gateway.Inference;

/// <summary>
/// Turns one image of a predict request into the 784 floats in [0, 1] that models take. Accepted: a base64 PNG (resized
/// to 28x28, within the request's pixel budget), base64 of 784 raw grey bytes, or an array of 784 numbers in [0, 1].
/// </summary>
public static class ImageInput
{
    public const int Side = 28;
    public const int Pixels = Side * Side;

    public static float[] Parse(JsonElement image, string field, PixelBudget budget)
    {
        switch (image.ValueKind)
        {
            case JsonValueKind.Array:
                Charge(budget, Side, Side, field);
                return FromNumbers(image, field);
            case JsonValueKind.String:
                var text = image.GetString()!;
                var comma = text.IndexOf(',');
                if (text.StartsWith("data:", StringComparison.Ordinal) && comma > 0) text = text[(comma + 1)..];
                byte[] bytes;
                try
                {
                    bytes = Convert.FromBase64String(text);
                }
                catch (FormatException)
                {
                    throw new ImageFormatException($"{field} is not valid base64");
                }
                if (PngDecoder.LooksLikePng(bytes)) return FromPng(bytes, field, budget);
                if (bytes.Length != Pixels)
                    throw new ImageFormatException($"{field} must be a PNG or exactly {Pixels} raw grey bytes; got {bytes.Length} bytes that are not a PNG");
                Charge(budget, Side, Side, field);
                return bytes.Select(b => b / 255f).ToArray();
            default:
                throw new ImageFormatException($"{field} must be a base64 string (PNG or {Pixels} raw bytes) or an array of {Pixels} numbers");
        }
    }

    private static void Charge(PixelBudget budget, int width, int height, string field)
    {
        if (budget.Refusal(width, height) is { } refusal) throw new ImageFormatException($"{field}: {refusal}");
    }

    private static float[] FromNumbers(JsonElement array, string field)
    {
        if (array.GetArrayLength() != Pixels) throw new ImageFormatException($"{field} must have {Pixels} numbers; got {array.GetArrayLength()}");
        var values = new float[Pixels];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetSingle(out var value) || value is < 0 or > 1 || float.IsNaN(value))
                throw new ImageFormatException($"{field}[{i}] must be a number in [0, 1]");
            values[i++] = value;
        }
        return values;
    }

    private static float[] FromPng(byte[] bytes, string field, PixelBudget budget)
    {
        try
        {
            return Resize(PngDecoder.Decode(bytes, budget));
        }
        catch (PngFormatException e)
        {
            throw new ImageFormatException($"{field} is not a readable PNG: {e.Message}");
        }
    }

    /// <summary>Area-averaging resize to 28x28, so a large drawing keeps its strokes.</summary>
    private static float[] Resize(GreyImage image)
    {
        var result = new float[Pixels];
        for (var y = 0; y < Side; y++)
        for (var x = 0; x < Side; x++)
        {
            // 64-bit: x * width overflows int for images wider than about 76 million pixels.
            int x0 = (int)((long)x * image.Width / Side), x1 = Math.Max(x0 + 1, (int)((x + 1L) * image.Width / Side));
            int y0 = (int)((long)y * image.Height / Side), y1 = Math.Max(y0 + 1, (int)((y + 1L) * image.Height / Side));
            long sum = 0;
            for (var sy = y0; sy < y1; sy++)
            for (var sx = x0; sx < x1; sx++)
                sum += image.Pixels[(long)sy * image.Width + sx];
            result[y * Side + x] = sum / (255f * (x1 - x0) * (y1 - y0));
        }
        return result;
    }
}

public sealed class ImageFormatException(string message) : Exception(message);
