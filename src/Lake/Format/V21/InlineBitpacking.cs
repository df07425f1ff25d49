using System.Buffers.Binary;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>InlineBitpacking</c>: blocks of 1024 integers of <see cref="Bits"/> bits, each block led by one such word giving
/// its packed width and followed by the FastLanes-packed block (the last block padded to 1024 values).
/// </summary>
internal sealed class InlineBitpacking(int bits) : Compression
{
    public int Bits { get; } = bits;

    public override int? FixedBits => Bits;

    public override string Name => "inline_bitpacking";

    public override bool Supports(CompressionRole role) => true;

    public static InlineBitpacking From(ReadOnlySpan<byte> message)
    {
        ulong bits = 0;
        Fields(message, "inline_bitpacking", (ref ProtoReader reader) =>
        {
            if (reader.Field == 1) bits = reader.Varint();
            else if (reader.Field == 2) throw BufferCompressed("inline_bitpacking");
            else return false;
            return true;
        });
        if (bits is not (8 or 16 or 32 or 64)) throw new NotSupportedException($"inline_bitpacking of {bits}-bit values");
        return new InlineBitpacking((int)bits);
    }

    public override void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into)
    {
        if (into.BitsPerItem != Bits) throw new InvalidDataException($"bit-packed {Bits}-bit values where the column holds {into.BitsPerItem}-bit values");
        var wordBytes = Bits / 8;
        Span<ulong> values = stackalloc ulong[FastLanes.ValuesPerBlock];
        var position = 0;
        for (var done = 0; done < count; done += FastLanes.ValuesPerBlock)
        {
            if (data.Length - position < wordBytes) throw new InvalidDataException($"bit-packed data of {data.Length} bytes ends before its block at value {done}");
            var width = (int)Math.Min(ReadWord(data[position..], wordBytes), int.MaxValue);
            position += wordBytes;
            var blockBytes = width <= Bits ? FastLanes.BlockBytes(width) : throw new InvalidDataException($"values packed at {width} bits in {Bits}-bit words");
            if (data.Length - position < blockBytes) throw new InvalidDataException($"bit-packed data of {data.Length} bytes ends inside its block at value {done}");
            FastLanes.Unpack(data.Slice(position, blockBytes), Bits, width, values);
            position += blockBytes;
            into.AppendWords(values[..Math.Min(FastLanes.ValuesPerBlock, count - done)]);
        }
        if (position != data.Length) throw new InvalidDataException($"bit-packed data of {data.Length} bytes holds {count} values in {position} bytes");
    }

    private static ulong ReadWord(ReadOnlySpan<byte> data, int bytes) => bytes switch
    {
        1 => data[0],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(data),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(data),
        _ => BinaryPrimitives.ReadUInt64LittleEndian(data),
    };
}
