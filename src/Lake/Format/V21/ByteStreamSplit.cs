using System.Buffers;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>ByteStreamSplit</c> (LanceDB's choice for 32- and 64-bit floats in mini-block pages when a field's metadata asks
/// for it, usually under zstd): a chunk of n values stored as one stream per byte position, first the first byte of
/// every value, then the second, and so on, which lets a general compressor find the repeats in exponents.
/// </summary>
internal sealed class ByteStreamSplit(int bits) : Compression
{
    public override string Name => "byte_stream_split";

    public override int? FixedBits => bits;

    public override bool Supports(CompressionRole role) => role == CompressionRole.MiniBlockValues;

    public static ByteStreamSplit From(ReadOnlySpan<byte> message)
    {
        Compression? values = null;
        Fields(message, "byte_stream_split", (ref ProtoReader reader) =>
        {
            if (reader.Field != 1) return false;
            values = Parse(reader.Bytes());
            return true;
        });
        return values is Flat { Bits: 32 or 64 } flat
            ? new ByteStreamSplit(flat.Bits)
            : throw new NotSupportedException($"byte_stream_split of {values?.Name ?? "no"} values");
    }

    public override void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into)
    {
        if (into.BitsPerItem != bits) throw new InvalidDataException($"byte_stream_split of {bits}-bit values where the column holds {into.BitsPerItem}-bit values");
        var width = bits / 8;
        if (data.Length != (long)count * width) throw new InvalidDataException($"{data.Length} bytes of byte_stream_split values where {count} values of {bits} bits take {(long)count * width}");
        var joined = ArrayPool<byte>.Shared.Rent(data.Length);
        try
        {
            for (var stream = 0; stream < width; stream++)
            {
                var bytes = data.Slice(stream * count, count);
                for (var value = 0; value < count; value++) joined[value * width + stream] = bytes[value];
            }
            into.AppendFixed(joined.AsSpan(0, data.Length), count);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(joined);
        }
    }
}
