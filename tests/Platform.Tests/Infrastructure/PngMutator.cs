using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>
/// Seeded generator of valid and damaged PNGs for fuzzing: well-formed images of every supported colour type and
/// filter, then structural damage (chunk lengths near 2^31, short or long IHDRs, palettes too small, bad filters, broken
/// or mismatched zlib data, huge declared sizes) and byte-level damage. Half the damaged files get their CRCs repaired
/// so the damage reaches the decoder's deeper checks instead of stopping at the CRC.
/// </summary>
public sealed class PngMutator(Random random)
{
    private static readonly uint[] InterestingLengths = [0, 1, 12, 13, 14, 0x7FFFFFF0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF4, 0xFFFFFFFF];
    private static readonly uint[] InterestingSizes = [0, 1, 2, 27, 28, 29, 2048, 2049, 4096, 65535, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];

    public byte[] Valid()
    {
        var colorType = new[] { 0, 2, 3, 4, 6 }[random.Next(5)];
        int width = random.Next(1, 48), height = random.Next(1, 48);
        var channels = colorType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
        var samples = new byte[width * height * channels];
        random.NextBytes(samples);
        byte[]? palette = null;
        if (colorType == 3)
        {
            var entries = random.Next(1, 257);
            palette = new byte[entries * 3];
            random.NextBytes(palette);
            for (var i = 0; i < samples.Length; i++) samples[i] = (byte)(samples[i] % entries);
        }
        // The samples are written unfiltered, so a filter type changes the decoded values: palette indices must stay put.
        var filters = Enumerable.Range(0, height).Select(_ => colorType == 3 ? (byte)0 : (byte)random.Next(5)).ToArray();
        return Png.Encode(width, height, colorType, samples, palette, y => filters[y]);
    }

    public byte[] Damaged()
    {
        var chunks = Chunks(Valid());
        for (var n = random.Next(1, 4); n > 0; n--) DamageStructure(chunks);
        var png = Png.Assemble(chunks);
        if (random.Next(2) == 0)
        {
            for (var n = random.Next(1, 4); n > 0; n--) png = DamageBytes(png);
            if (random.Next(2) == 0) RepairCrcs(png);
        }
        return png;
    }

    private void DamageStructure(List<(string Type, byte[] Data)> chunks)
    {
        int Find(string type) => chunks.FindIndex(c => c.Type == type);
        switch (random.Next(9))
        {
            case 0: // an IHDR field set to a boundary value
            {
                var header = chunks[0].Data.ToArray();
                if (header.Length < 13) break;
                var field = random.Next(7);
                if (field < 2) BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(field * 4), Pick(InterestingSizes));
                else header[6 + field] = (byte)new[] { 0, 1, 2, 3, 4, 6, 7, 8, 16, 255 }[random.Next(10)];
                chunks[0] = ("IHDR", header);
                break;
            }
            case 1: // IHDR of the wrong length
                chunks[0] = ("IHDR", chunks[0].Data.Take(random.Next(0, 13)).Concat(new byte[random.Next(2) * random.Next(1, 4)]).ToArray());
                break;
            case 2: // a palette shorter than the indices, empty, not a multiple of 3, or too long
            {
                var entries = new[] { 0, 1, 2, 257 }[random.Next(4)];
                var palette = new byte[entries * 3 + (random.Next(3) == 0 ? 1 : 0)];
                random.NextBytes(palette);
                var at = Find("PLTE");
                if (at >= 0) chunks[at] = ("PLTE", palette);
                else chunks.Insert(1, ("PLTE", palette));
                break;
            }
            case 3 when Find("IDAT") is >= 0 and var at: // image data that inflates to the wrong size or holds filter types past 4
            {
                var raw = new byte[random.Next(0, 4000)];
                random.NextBytes(raw);
                chunks[at] = ("IDAT", Deflate(raw));
                break;
            }
            case 4 when Find("IDAT") is >= 0 and var at: // broken zlib stream
            {
                var idat = chunks[at].Data.ToArray();
                if (idat.Length > 0) idat[random.Next(idat.Length)] ^= (byte)random.Next(1, 256);
                chunks[at] = ("IDAT", random.Next(3) == 0 ? idat[..random.Next(idat.Length + 1)] : idat);
                break;
            }
            case 3 or 4:
                break;
            case 5: // a chunk removed
                chunks.RemoveAt(random.Next(chunks.Count));
                if (chunks.Count == 0) chunks.Add(("IEND", []));
                break;
            case 6: // a chunk repeated
            {
                var at = random.Next(chunks.Count);
                chunks.Insert(random.Next(chunks.Count + 1), chunks[at]);
                break;
            }
            case 7: // an unknown chunk, or IDAT split in two
            {
                var data = new byte[random.Next(0, 64)];
                random.NextBytes(data);
                var type = new string(Enumerable.Range(0, 4).Select(_ => (char)random.Next('A', 'z' + 1)).ToArray());
                chunks.Insert(random.Next(1, chunks.Count + 1), (type, data));
                break;
            }
            default: // a declared size near the budget with almost no data: a decompression bomb's shape
            {
                var header = chunks[0].Data.ToArray();
                if (header.Length < 13) break;
                var side = (uint)new[] { 2048, 2049, 4096, 8192 }[random.Next(4)];
                BinaryPrimitives.WriteUInt32BigEndian(header, side);
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), side);
                header[9] = 0;
                chunks[0] = ("IHDR", header);
                // Full-size data only within the budget's reach, so the fuzzer itself stays quick.
                var idat = ("IDAT", Deflate(new byte[side <= 2049 && random.Next(2) == 0 ? (side + 1) * side : 100]));
                if (Find("IDAT") is >= 0 and var at) chunks[at] = idat;
                else chunks.Insert(Math.Min(1, chunks.Count), idat);
                break;
            }
        }
    }

    private byte[] DamageBytes(byte[] png)
    {
        switch (random.Next(4))
        {
            case 0:
                for (var n = random.Next(1, 9); n > 0; n--) png[random.Next(png.Length)] ^= (byte)(1 << random.Next(8));
                return png;
            case 1: // a chunk length overwritten: near 2^31 overflows int arithmetic
            {
                var offsets = ChunkOffsets(png).ToList();
                if (offsets.Count > 0) BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(offsets[random.Next(offsets.Count)]), Pick(InterestingLengths));
                return png;
            }
            case 2:
                return png[..random.Next(png.Length)];
            default:
                return png.Concat(Enumerable.Range(0, random.Next(1, 32)).Select(_ => (byte)random.Next(256))).ToArray();
        }
    }

    /// <summary>Recomputes the CRC of every chunk that lies within the file.</summary>
    private static void RepairCrcs(byte[] png)
    {
        foreach (var offset in ChunkOffsets(png))
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset));
            if (offset + 12L + length > png.Length) return;
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(offset + 8 + (int)length), Png.Crc32(png.AsSpan(offset + 4, 4 + (int)length)));
        }
    }

    private static IEnumerable<int> ChunkOffsets(byte[] png)
    {
        long offset = Png.Signature.Length;
        while (offset + 12 <= png.Length)
        {
            yield return (int)offset;
            offset += 12L + BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan((int)offset));
        }
    }

    private static List<(string Type, byte[] Data)> Chunks(byte[] png) =>
        ChunkOffsets(png).Select(offset =>
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            return (Encoding.ASCII.GetString(png, offset + 4, 4), png.AsSpan(offset + 8, length).ToArray());
        }).ToList();

    private static byte[] Deflate(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true)) zlib.Write(raw);
        return output.ToArray();
    }

    private uint Pick(uint[] values) => values[random.Next(values.Length)];
}
