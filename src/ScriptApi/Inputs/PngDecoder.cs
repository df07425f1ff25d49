using System.Buffers.Binary;
using System.IO.Compression;

namespace AiPlatform.ScriptApi;

/// <summary>A decoded image: 8-bit grey levels, row-major.</summary>
public sealed record GreyImage(int Width, int Height, byte[] Pixels);

/// <summary>Why a PNG cannot be decoded. The only exception <see cref="PngDecoder.Decode"/> throws.</summary>
public sealed class PngFormatException(string message) : Exception(message);

/// <summary>
/// Decodes non-interlaced PNGs of bit depth 8 (grey, grey+alpha, RGB, RGBA, palette) to grey levels: enough for the
/// images people draw or export. The input is untrusted, so every length is checked in 64-bit arithmetic against what
/// is actually there, every chunk's CRC is verified, and the pixel budget is enforced from the header, before any
/// buffer the size of the image is allocated. Managed code only: a hostile file can at worst be refused.
/// </summary>
public static class PngDecoder
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];
    private const int HeaderLength = 13;
    private const int ChunkOverhead = 12; // length, type, CRC

    public static bool LooksLikePng(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    /// <param name="budget">Charged with width x height from the header, before anything is decompressed.</param>
    /// <exception cref="PngFormatException">The data is not a PNG this decoder reads, or it is over the budget.</exception>
    public static GreyImage Decode(ReadOnlySpan<byte> png, PixelBudget budget)
    {
        if (!LooksLikePng(png)) throw new PngFormatException("not a PNG file");
        Header? header = null;
        byte[]? palette = null;
        using var compressed = new MemoryStream();
        var ended = false;
        long position = Signature.Length;
        while (!ended)
        {
            if (position + ChunkOverhead > png.Length) throw new PngFormatException("PNG ends before its IEND chunk");
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[(int)position..]);
            if (length > int.MaxValue || position + ChunkOverhead + length > png.Length)
                throw new PngFormatException($"PNG chunk at byte {position} declares {length} bytes, more than the file holds");
            var typeAndData = png.Slice((int)position + 4, 4 + (int)length);
            var storedCrc = BinaryPrimitives.ReadUInt32BigEndian(png[((int)position + 8 + (int)length)..]);
            var type = ChunkType(typeAndData[..4]);
            if (Crc32.Compute(typeAndData) != storedCrc) throw new PngFormatException($"PNG chunk {type} at byte {position} fails its CRC check");
            var data = typeAndData[4..];

            if (header is null && type != "IHDR") throw new PngFormatException("PNG does not start with an IHDR chunk");
            switch (type)
            {
                case "IHDR":
                    if (header is not null) throw new PngFormatException("PNG has more than one IHDR chunk");
                    header = Header.Read(data, budget);
                    break;
                case "PLTE":
                    if (palette is not null) throw new PngFormatException("PNG has more than one PLTE chunk");
                    if (compressed.Length > 0) throw new PngFormatException("PNG PLTE chunk comes after image data");
                    if (length is 0 or > 256 * 3 || length % 3 != 0)
                        throw new PngFormatException($"PNG palette of {length} bytes is not 1 to 256 RGB entries");
                    palette = data.ToArray();
                    break;
                case "IDAT":
                    compressed.Write(data);
                    break;
                case "IEND":
                    ended = true;
                    break;
            }
            position += ChunkOverhead + length;
        }

        var image = header!;
        if (image.ColorType == 3 && palette is null) throw new PngFormatException("palette PNG without a PLTE chunk");
        if (compressed.Length == 0) throw new PngFormatException("PNG has no image data (IDAT)");
        var raw = Inflate(compressed, image.FilteredLength);
        return new GreyImage(image.Width, image.Height, ToGrey(raw, image, palette));
    }

    private static string ChunkType(ReadOnlySpan<byte> type)
    {
        foreach (var c in type)
            if (c is not (>= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z'))
                throw new PngFormatException("PNG chunk type is not four letters");
        return System.Text.Encoding.ASCII.GetString(type);
    }

    private sealed record Header(int Width, int Height, int ColorType, int Channels)
    {
        public int Stride => Width * Channels;
        public long FilteredLength => (Stride + 1L) * Height;

        public static Header Read(ReadOnlySpan<byte> data, PixelBudget budget)
        {
            if (data.Length != HeaderLength) throw new PngFormatException($"PNG IHDR chunk is {data.Length} bytes; it must be {HeaderLength}");
            var width = BinaryPrimitives.ReadUInt32BigEndian(data);
            var height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
            if (width is 0 or > int.MaxValue || height is 0 or > int.MaxValue)
                throw new PngFormatException($"PNG size {width}x{height} is not valid");
            if (budget.Refusal(width, height) is { } refusal) throw new PngFormatException(refusal);
            var (bitDepth, colorType, compression, filter, interlace) = (data[8], data[9], data[10], data[11], data[12]);
            if (bitDepth != 8) throw new PngFormatException($"PNG bit depth {bitDepth} is not supported (8 is)");
            if (compression != 0 || filter != 0) throw new PngFormatException("PNG compression or filter method is not 0");
            if (interlace != 0) throw new PngFormatException("interlaced PNGs are not supported");
            var channels = colorType switch
            {
                0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4,
                _ => throw new PngFormatException($"PNG colour type {colorType} is not supported"),
            };
            return new Header((int)width, (int)height, colorType, channels);
        }
    }

    private static byte[] Inflate(MemoryStream compressed, long expected)
    {
        compressed.Position = 0;
        // The pixel budget keeps this far below 2 GB: width x height within it, 4 bytes a pixel plus a filter byte a row.
        var output = new byte[expected];
        var read = 0;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            int n;
            while (read < expected && (n = zlib.Read(output, read, (int)(expected - read))) > 0) read += n;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new PngFormatException($"PNG image data is not valid zlib data: {e.Message}");
        }
        if (read != expected) throw new PngFormatException($"PNG image data is truncated: {read} of {expected} bytes");
        return output;
    }

    private static byte[] ToGrey(byte[] raw, Header image, byte[]? palette)
    {
        var pixels = new byte[(long)image.Width * image.Height];
        var previous = new byte[image.Stride];
        var current = new byte[image.Stride];
        for (var y = 0; y < image.Height; y++)
        {
            var row = raw.AsSpan((int)((long)y * (image.Stride + 1)), image.Stride + 1);
            Unfilter(row[0], row[1..], current, previous, image.Channels);
            for (var x = 0; x < image.Width; x++)
                pixels[(long)y * image.Width + x] = Grey(current.AsSpan(x * image.Channels, image.Channels), image.ColorType, palette);
            (previous, current) = (current, previous);
        }
        return pixels;
    }

    private static void Unfilter(byte filter, ReadOnlySpan<byte> source, Span<byte> current, ReadOnlySpan<byte> previous, int bpp)
    {
        if (filter > 4) throw new PngFormatException($"PNG filter type {filter} is invalid");
        for (var i = 0; i < source.Length; i++)
        {
            int left = i >= bpp ? current[i - bpp] : 0, up = previous[i], upLeft = i >= bpp ? previous[i - bpp] : 0;
            current[i] = (byte)(source[i] + filter switch
            {
                0 => 0,
                1 => left,
                2 => up,
                3 => (left + up) / 2,
                _ => Paeth(left, up, upLeft),
            });
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static byte Grey(ReadOnlySpan<byte> pixel, int colorType, byte[]? palette)
    {
        static byte Luma(int r, int g, int b) => (byte)((299 * r + 587 * g + 114 * b) / 1000);
        switch (colorType)
        {
            case 0: return pixel[0];
            // Transparent pixels count as background (black), as on a drawing canvas.
            case 4: return (byte)(pixel[0] * pixel[1] / 255);
            case 2: return Luma(pixel[0], pixel[1], pixel[2]);
            case 6: return (byte)(Luma(pixel[0], pixel[1], pixel[2]) * pixel[3] / 255);
            default:
                var entry = pixel[0] * 3;
                if (entry + 2 >= palette!.Length)
                    throw new PngFormatException($"PNG pixel uses palette entry {pixel[0]}; the palette has {palette.Length / 3} entries");
                return Luma(palette[entry], palette[entry + 1], palette[entry + 2]);
        }
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, as in zlib).</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                var c = n;
                for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }

        public static uint Compute(ReadOnlySpan<byte> data)
        {
            var crc = 0xFFFFFFFFu;
            foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return ~crc;
        }
    }
}
