using System.Buffers.Binary;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>Rle</c>: runs of equal fixed-width values: the runs' values (flat) and their lengths (one byte each, so longer
/// runs are split). A mini-block chunk holds the two as its buffers; a block (definition levels) leads with the values'
/// byte count (u64), then the values and the lengths. A last run may reach past the values wanted; it is cut, as Lance does.
/// </summary>
internal sealed class Rle(Flat values) : Compression
{
    public override string Name => "rle";

    public override int ChunkBuffers => 2;

    public override int? FixedBits => values.Bits;

    public override bool Supports(CompressionRole role) => role != CompressionRole.FullZipValues;

    public static Rle From(ReadOnlySpan<byte> message)
    {
        Flat? values = null, lengths = null;
        Fields(message, "rle", (ref ProtoReader reader) =>
        {
            if (reader.Field == 1) values = Parse(reader.Bytes()) as Flat ?? throw new NotSupportedException("rle of values that are not flat");
            else if (reader.Field == 2) lengths = Parse(reader.Bytes()) as Flat ?? throw new NotSupportedException("rle with run lengths that are not flat");
            else return false;
            return true;
        });
        if (values is not { Bits: 8 or 16 or 32 or 64 } || lengths is not { Bits: 8 })
            throw new NotSupportedException($"rle of {values?.Bits}-bit values with {lengths?.Bits}-bit run lengths");
        return new Rle(values);
    }

    public override void DecodeChunk(ReadOnlyMemory<byte>[] buffers, int count, ValueBuffer into) => Decode(buffers[0].Span, buffers[1].Span, count, into);

    public override void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into)
    {
        var valueBytes = data.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(data) : throw new InvalidDataException($"an rle block of {data.Length} bytes");
        if (valueBytes > (ulong)(data.Length - 8)) throw new InvalidDataException($"an rle block of {data.Length} bytes claims {valueBytes} bytes of values");
        Decode(data.Slice(8, (int)valueBytes), data[(8 + (int)valueBytes)..], count, into);
    }

    private void Decode(ReadOnlySpan<byte> runValues, ReadOnlySpan<byte> lengths, int count, ValueBuffer into)
    {
        var width = values.Bits / 8;
        if (runValues.Length != lengths.Length * width)
            throw new InvalidDataException($"rle chunk with {runValues.Length} bytes of values for {lengths.Length} runs of {width}-byte values");
        if (into.BitsPerItem != values.Bits) throw new InvalidDataException($"rle of {values.Bits}-bit values where the column holds {into.BitsPerItem}-bit values");
        var remaining = count;
        for (var run = 0; run < lengths.Length && remaining > 0; run++)
        {
            var length = Math.Min(lengths[run], remaining);
            into.AppendRepeated(runValues.Slice(run * width, width), length);
            remaining -= length;
        }
        if (remaining > 0) throw new InvalidDataException($"rle runs hold {count - remaining} of the {count} values");
    }
}
