using System.Text.Json;

namespace AiPlatform.ScriptApi;

/// <summary>What one predict request may cost an image model's serving script to decode.</summary>
public sealed record ImageLimits
{
    public int MaxImagesPerRequest { get; init; } = 1024;

    /// <summary>2048 x 2048: a phone photo scaled for upload; far more than a 28x28 model needs.</summary>
    public long MaxPixelsPerImage { get; init; } = 2048 * 2048;

    public long MaxPixelsPerRequest { get; init; } = 4 * 2048 * 2048;
}

/// <summary>
/// The images of one predict request, each as <c>side x side</c> floats in [0, 1], row-major grey levels.
/// <see cref="IsBatch"/> tells <c>{"image": ...}</c> (answer one prediction) from <c>{"images": [...]}</c> (answer a list).
/// </summary>
public sealed record ImageRequest(IReadOnlyList<float[]> Images, bool IsBatch)
{
    /// <summary>
    /// Reads <c>{"image": x}</c> or <c>{"images": [x, ...]}</c>, where each x is a base64 PNG (area-resized to side x side,
    /// within the pixel budget of <paramref name="limits"/>), base64 of side x side raw grey bytes, or an array of
    /// side x side numbers in [0, 1].
    /// </summary>
    /// <exception cref="InvalidInputException">The request is not one of these; the message names the field.</exception>
    public static ImageRequest Parse(JsonElement body, int side = 28, ImageLimits? limits = null)
    {
        limits ??= new ImageLimits();
        var reader = new ImageReader(side, new PixelBudget(limits.MaxPixelsPerImage, limits.MaxPixelsPerRequest));
        if (body.ValueKind != JsonValueKind.Object) throw new InvalidInputException("request body must be a JSON object with 'image' or 'images'");
        if (body.TryGetProperty("image", out var one)) return new([reader.Read(one, "field 'image'")], false);
        if (!body.TryGetProperty("images", out var many)) throw new InvalidInputException("field 'image' (or 'images' for a batch) is required");
        if (many.ValueKind != JsonValueKind.Array || many.GetArrayLength() < 1 || many.GetArrayLength() > limits.MaxImagesPerRequest)
            throw new InvalidInputException($"field 'images' must be an array of 1 to {limits.MaxImagesPerRequest} images");
        return new(many.EnumerateArray().Select((image, i) => reader.Read(image, $"field 'images[{i}]'")).ToList(), true);
    }

    private sealed class ImageReader(int side, PixelBudget budget)
    {
        private int Pixels => side * side;

        public float[] Read(JsonElement image, string field)
        {
            switch (image.ValueKind)
            {
                case JsonValueKind.Array:
                    Charge(side, side, field);
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
                        throw new InvalidInputException($"{field} is not valid base64");
                    }
                    if (PngDecoder.LooksLikePng(bytes)) return FromPng(bytes, field);
                    if (bytes.Length != Pixels)
                        throw new InvalidInputException($"{field} must be a PNG or exactly {Pixels} raw grey bytes; got {bytes.Length} bytes that are not a PNG");
                    Charge(side, side, field);
                    return bytes.Select(b => b / 255f).ToArray();
                default:
                    throw new InvalidInputException($"{field} must be a base64 string (PNG or {Pixels} raw bytes) or an array of {Pixels} numbers");
            }
        }

        private void Charge(int width, int height, string field)
        {
            if (budget.Refusal(width, height) is { } refusal) throw new InvalidInputException($"{field}: {refusal}");
        }

        private float[] FromNumbers(JsonElement array, string field)
        {
            if (array.GetArrayLength() != Pixels) throw new InvalidInputException($"{field} must have {Pixels} numbers; got {array.GetArrayLength()}");
            var values = new float[Pixels];
            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetSingle(out var value) || value is < 0 or > 1 || float.IsNaN(value))
                    throw new InvalidInputException($"{field}[{i}] must be a number in [0, 1]");
                values[i++] = value;
            }
            return values;
        }

        private float[] FromPng(byte[] bytes, string field)
        {
            try
            {
                return Resize(PngDecoder.Decode(bytes, budget));
            }
            catch (PngFormatException e)
            {
                throw new InvalidInputException($"{field} is not a readable PNG: {e.Message}");
            }
        }

        /// <summary>Area-averaging resize to side x side, so a large drawing keeps its strokes.</summary>
        private float[] Resize(GreyImage image)
        {
            var result = new float[Pixels];
            for (var y = 0; y < side; y++)
            for (var x = 0; x < side; x++)
            {
                // 64-bit: x * width overflows int for images wider than about 76 million pixels.
                int x0 = (int)((long)x * image.Width / side), x1 = Math.Max(x0 + 1, (int)((x + 1L) * image.Width / side));
                int y0 = (int)((long)y * image.Height / side), y1 = Math.Max(y0 + 1, (int)((y + 1L) * image.Height / side));
                long sum = 0;
                for (var sy = y0; sy < y1; sy++)
                for (var sx = x0; sx < x1; sx++)
                    sum += image.Pixels[(long)sy * image.Width + sx];
                result[y * side + x] = sum / (255f * (x1 - x0) * (y1 - y0));
            }
            return result;
        }
    }
}
