using System.Buffers.Binary;
using System.IO.Compression;

namespace AiPlatform.Gateway.Inference;

/// <summary>A decoded image: 8-bit grey levels, row-major.</summary>
public sealed record GreyImage(int Width, int Height, byte[] Pixels);

/// <summary>
/// Decodes non-interlaced PNGs of bit depth 8 (grey, grey+alpha, RGB, RGBA, palette) to grey levels: enough for the
/// images people draw or export, without an imaging library (none is available on this platform's package feed).
/// </summary>
public static class PngDecoder
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static bool LooksLikePng(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    public static GreyImage Decode(byte[] png)
    {
        if (!LooksLikePng(png)) throw new FormatException("not a PNG file");
        int width = 0, height = 0, bitDepth = 0, colorType = 0, interlace = 0;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        var position = Signature.Length;
        while (position + 8 <= png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            var type = System.Text.Encoding.ASCII.GetString(png, position + 4, 4);
            if (length < 0 || position + 12 + length > png.Length) throw new FormatException("PNG chunk runs past the end of the file");
            var data = png.AsSpan(position + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    bitDepth = data[8];
                    colorType = data[9];
                    interlace = data[12];
                    break;
                case "PLTE":
                    palette = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }
            if (type == "IEND") break;
            position += 12 + length;
        }
        if (width is <= 0 or > 4096 || height is <= 0 or > 4096) throw new FormatException($"PNG size {width}x{height} is not supported");
        if (bitDepth != 8) throw new FormatException($"PNG bit depth {bitDepth} is not supported (8 is)");
        if (interlace != 0) throw new FormatException("interlaced PNGs are not supported");
        var channels = colorType switch
        {
            0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4,
            _ => throw new FormatException($"PNG colour type {colorType} is not supported"),
        };
        if (colorType == 3 && palette is null) throw new FormatException("palette PNG without a palette");

        var stride = width * channels;
        var raw = Inflate(idat.ToArray(), (stride + 1) * height);
        var pixels = new byte[width * height];
        var previous = new byte[stride];
        var current = new byte[stride];
        for (var y = 0; y < height; y++)
        {
            var row = raw.AsSpan(y * (stride + 1), stride + 1);
            Unfilter(row[0], row[1..], current, previous, channels);
            for (var x = 0; x < width; x++) pixels[y * width + x] = ToGrey(current.AsSpan(x * channels, channels), colorType, palette);
            (previous, current) = (current, previous);
        }
        return new GreyImage(width, height, pixels);
    }

    private static byte[] Inflate(byte[] compressed, int expected)
    {
        using var zlib = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        var output = new byte[expected];
        var read = 0;
        int n;
        while (read < expected && (n = zlib.Read(output, read, expected - read)) > 0) read += n;
        if (read != expected) throw new FormatException("PNG image data is truncated");
        return output;
    }

    private static void Unfilter(byte filter, ReadOnlySpan<byte> source, Span<byte> current, ReadOnlySpan<byte> previous, int bpp)
    {
        for (var i = 0; i < source.Length; i++)
        {
            int left = i >= bpp ? current[i - bpp] : 0, up = previous[i], upLeft = i >= bpp ? previous[i - bpp] : 0;
            current[i] = (byte)(source[i] + filter switch
            {
                0 => 0,
                1 => left,
                2 => up,
                3 => (left + up) / 2,
                4 => Paeth(left, up, upLeft),
                _ => throw new FormatException($"PNG filter type {filter} is invalid"),
            });
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static byte ToGrey(ReadOnlySpan<byte> pixel, int colorType, byte[]? palette)
    {
        static byte Luma(int r, int g, int b) => (byte)((299 * r + 587 * g + 114 * b) / 1000);
        return colorType switch
        {
            0 => pixel[0],
            // Transparent pixels count as background (black), as on a drawing canvas.
            4 => (byte)(pixel[0] * pixel[1] / 255),
            2 => Luma(pixel[0], pixel[1], pixel[2]),
            6 => (byte)(Luma(pixel[0], pixel[1], pixel[2]) * pixel[3] / 255),
            3 => Luma(palette![pixel[0] * 3], palette[pixel[0] * 3 + 1], palette[pixel[0] * 3 + 2]),
            _ => 0,
        };
    }
}
