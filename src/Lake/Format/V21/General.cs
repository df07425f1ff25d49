using System.Buffers.Binary;
using K4os.Compression.LZ4;
using ZstdSharp;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>General</c>: an inner encoding's (first) buffer compressed as a whole with lz4 or zstd. lz4 data leads with the
/// decompressed size (u32); zstd data leads with it as a u64, except in older files that hold a bare zstd frame.
/// In a full-zip page of variable-width values (LanceDB's strings and binaries over 32 KB) each value is compressed on
/// its own, the same way.
/// </summary>
internal sealed class General(string scheme, Compression inner) : Compression, IPerValueCompression
{
    private const uint ZstdMagic = 0xFD2FB528;

    public override string Name => $"general ({scheme})";

    public override int ChunkBuffers => inner.ChunkBuffers;

    public override int? FixedBits => inner.FixedBits;

    public override bool Supports(CompressionRole role) => role == CompressionRole.FullZipValues ? inner is Variable : inner.Supports(role);

    public static General From(ReadOnlySpan<byte> message)
    {
        string? scheme = null;
        Compression? inner = null;
        Fields(message, "general", (ref ProtoReader reader) =>
        {
            if (reader.Field == 1) scheme = Scheme(reader.Bytes());
            else if (reader.Field == 3) inner = Parse(reader.Bytes());
            else return false;
            return true;
        });
        if (scheme is null || inner is null) throw new NotSupportedException("general compression without its scheme or values");
        return new General(scheme, inner);
    }

    /// <summary>BufferCompression {scheme = 1, level = 2}; the level only matters when compressing.</summary>
    private static string Scheme(ReadOnlySpan<byte> message)
    {
        ulong scheme = 0;
        Fields(message, "general compression", (ref ProtoReader reader) =>
        {
            if (reader.Field == 1) scheme = reader.Varint();
            else if (reader.Field == 2) reader.Skip();
            else return false;
            return true;
        });
        return scheme switch
        {
            1 => "lz4",
            2 => "zstd",
            _ => throw new NotSupportedException($"general compression scheme #{scheme}"),
        };
    }

    public override void DecodeChunk(ReadOnlyMemory<byte>[] buffers, int count, ValueBuffer into)
    {
        var decompressed = (ReadOnlyMemory<byte>[])buffers.Clone();
        decompressed[0] = Decompress(buffers[0].Span);
        inner.DecodeChunk(decompressed, count, into);
    }

    public override void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into) => inner.DecodeBlock(Decompress(data), count, into);

    public void AppendDecompressed(ReadOnlySpan<byte> stored, ValueBuffer into) => into.AppendItem(Decompress(stored));

    private byte[] Decompress(ReadOnlySpan<byte> data) => scheme == "lz4" ? Lz4(data) : Zstd(data);

    private static byte[] Lz4(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4) throw new InvalidDataException($"lz4 data of {data.Length} bytes has no size");
        var size = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (size > int.MaxValue) throw new InvalidDataException($"lz4 data claims {size} bytes");
        var output = new byte[size];
        var written = LZ4Codec.Decode(data[4..], output);
        return written == output.Length ? output : throw new InvalidDataException($"lz4 data decompressed to {written} bytes, not the {size} it claims");
    }

    private static byte[] Zstd(ReadOnlySpan<byte> data)
    {
        try
        {
            return ZstdFrame(data);
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException($"zstd data of {data.Length} bytes does not decompress: {e.Message}", e);
        }
    }

    private static byte[] ZstdFrame(ReadOnlySpan<byte> data)
    {
        using var decompressor = new Decompressor();
        if (data.Length < 8 || (BinaryPrimitives.ReadUInt32LittleEndian(data) == ZstdMagic && (data[4] & 0x10) == 0))
            return decompressor.Unwrap(data).ToArray();
        var size = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (size > int.MaxValue) throw new InvalidDataException($"zstd data claims {size} bytes");
        var output = new byte[size];
        var written = decompressor.Unwrap(data[8..], output);
        return written == output.Length ? output : throw new InvalidDataException($"zstd data decompressed to {written} bytes, not the {size} it claims");
    }
}
