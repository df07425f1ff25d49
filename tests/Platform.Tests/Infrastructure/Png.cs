using System.Buffers.Binary;
using System.IO.Compression;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>Writes 8-bit PNGs, as a browser canvas export or an image editor would send them.</summary>
public static class Png
{
    public static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static byte[] Grey(int width, int height, byte[] pixels) => Encode(width, height, colorType: 0, pixels);

    /// <param name="colorType">0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.</param>
    /// <param name="samples">Row-major samples, <c>width x channels</c> per row.</param>
    /// <param name="filters">The filter type byte written before each row (the data is not filtered, so any type decodes to something).</param>
    public static byte[] Encode(int width, int height, int colorType, byte[] samples, byte[]? palette = null, Func<int, byte>? filters = null)
    {
        var channels = colorType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = (byte)colorType;
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(filters?.Invoke(y) ?? 0);
                zlib.Write(samples, y * width * channels, width * channels);
            }
        var chunks = new List<(string, byte[])> { ("IHDR", header) };
        if (palette is not null) chunks.Add(("PLTE", palette));
        chunks.Add(("IDAT", raw.ToArray()));
        chunks.Add(("IEND", []));
        return Assemble(chunks);
    }

    /// <summary>A PNG file from chunks, each with a correct CRC.</summary>
    public static byte[] Assemble(IEnumerable<(string Type, byte[] Data)> chunks)
    {
        using var output = new MemoryStream();
        output.Write(Signature);
        foreach (var (type, data) in chunks) Chunk(output, type, data);
        return output.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        output.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        output.Write(word);
    }

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
