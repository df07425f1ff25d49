using System.Text.Json;

namespace AiPlatform.Gateway.Inference;

/// <summary>
/// Turns one image of a predict request into the 784 floats in [0, 1] that models take. Accepted: a base64 PNG (any
/// size, resized to 28x28), base64 of 784 raw grey bytes, or an array of 784 numbers in [0, 1].
/// </summary>
public static class ImageInput
{
    public const int Side = 28;
    public const int Pixels = Side * Side;

    public static float[] Parse(JsonElement image, string field)
    {
        switch (image.ValueKind)
        {
            case JsonValueKind.Array:
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
                if (PngDecoder.LooksLikePng(bytes)) return FromPng(bytes, field);
                if (bytes.Length == Pixels) return bytes.Select(b => b / 255f).ToArray();
                throw new ImageFormatException($"{field} must be a PNG or exactly {Pixels} raw grey bytes; got {bytes.Length} bytes that are not a PNG");
            default:
                throw new ImageFormatException($"{field} must be a base64 string (PNG or {Pixels} raw bytes) or an array of {Pixels} numbers");
        }
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

    private static float[] FromPng(byte[] bytes, string field)
    {
        GreyImage image;
        try
        {
            image = PngDecoder.Decode(bytes);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            throw new ImageFormatException($"{field} is not a readable PNG: {e.Message}");
        }
        return Resize(image);
    }

    /// <summary>Area-averaging resize to 28x28, so a large drawing keeps its strokes.</summary>
    private static float[] Resize(GreyImage image)
    {
        var result = new float[Pixels];
        for (var y = 0; y < Side; y++)
        for (var x = 0; x < Side; x++)
        {
            int x0 = x * image.Width / Side, x1 = Math.Max(x0 + 1, (x + 1) * image.Width / Side);
            int y0 = y * image.Height / Side, y1 = Math.Max(y0 + 1, (y + 1) * image.Height / Side);
            long sum = 0;
            for (var sy = y0; sy < y1; sy++)
            for (var sx = x0; sx < x1; sx++)
                sum += image.Pixels[sy * image.Width + sx];
            result[y * Side + x] = sum / (255f * (x1 - x0) * (y1 - y0));
        }
        return result;
    }
}

public sealed class ImageFormatException(string message) : Exception(message);
