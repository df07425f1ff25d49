using System.Buffers.Binary;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>Variable</c>: strings and binary as offsets then bytes. A mini-block chunk holds count + 1 offsets (32 or 64
/// bits, counted from the chunk's start) followed by the bytes; a block leads with the offset width and the position
/// of the bytes, then the offsets (from 0) and the bytes.
/// </summary>
internal sealed class Variable(int offsetBits) : Compression
{
    public override string Name => "variable";

    public override bool Supports(CompressionRole role) => true;

    public static Variable From(ReadOnlySpan<byte> message)
    {
        var offsetBits = 0;
        Fields(message, "variable", (ref ProtoReader reader) =>
        {
            if (reader.Field == 1)
                offsetBits = Compression.Parse(reader.Bytes()) is Flat { Bits: 32 or 64 } flat
                    ? flat.Bits
                    : throw new NotSupportedException("variable values whose offsets are not flat 32/64-bit");
            else if (reader.Field == 2) throw BufferCompressed("variable");
            else return false;
            return true;
        });
        if (offsetBits == 0) throw new NotSupportedException("variable values without offsets");
        return new Variable(offsetBits);
    }

    public override void DecodeChunk(ReadOnlyMemory<byte>[] buffers, int count, ValueBuffer into)
    {
        var chunk = buffers[0].Span;
        var width = offsetBits / 8;
        if (chunk.Length < (count + 1L) * width) throw new InvalidDataException($"a variable chunk of {chunk.Length} bytes does not hold {count + 1} offsets");
        AppendItems(chunk, chunk, count, width, (ulong)(count + 1L) * (ulong)width, into);
    }

    public override void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into)
    {
        var width = offsetBits / 8;
        if (data.Length < 2 * width || Offset(data, width, 0) != (ulong)offsetBits)
            throw new InvalidDataException($"a variable block does not start with its offset width {offsetBits}");
        var bytesStart = Offset(data, width, 1);
        if (bytesStart != (ulong)((count + 3L) * width) || bytesStart > (ulong)data.Length)
            throw new InvalidDataException($"a variable block of {count} values places its bytes at {bytesStart}");
        AppendItems(data[(2 * width)..], data[(int)bytesStart..], count, width, 0, into);
    }

    /// <summary>Item i is bytes[offset(i), offset(i + 1)); the first offset is where the bytes begin.</summary>
    private static void AppendItems(ReadOnlySpan<byte> offsets, ReadOnlySpan<byte> bytes, int count, int width, ulong first, ValueBuffer into)
    {
        var start = Offset(offsets, width, 0);
        if (start != first) throw new InvalidDataException($"variable offsets start at {start}, not at {first}");
        for (var i = 0; i < count; i++)
        {
            var end = Offset(offsets, width, i + 1);
            if (end < start || end > (ulong)bytes.Length)
                throw new InvalidDataException($"variable offsets are not ascending within {bytes.Length} bytes (value {i} ends at {end})");
            into.AppendItem(bytes[(int)start..(int)end]);
            start = end;
        }
    }

    private static ulong Offset(ReadOnlySpan<byte> offsets, int width, int index) =>
        width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(offsets[(index * 4)..]) : BinaryPrimitives.ReadUInt64LittleEndian(offsets[(index * 8)..]);
}
