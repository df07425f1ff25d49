namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>OutOfLineBitpacking</c>: one width for the whole buffer (from the inner flat encoding), FastLanes blocks of 1024
/// values back to back; a last partial block is either padded and packed or, when that would cost more, stored raw.
/// The two are told apart by the buffer's length, as Lance's own reader does.
/// </summary>
internal sealed class OutOfLineBitpacking(int bits, int width) : Compression
{
    public override int? FixedBits => bits;

    public override string Name => "out_of_line_bitpacking";

    public override bool Supports(CompressionRole role) => role == CompressionRole.Block;

    public static OutOfLineBitpacking From(ReadOnlySpan<byte> message)
    {
        ulong bits = 0;
        var width = -1;
        Fields(message, "out_of_line_bitpacking", (ref ProtoReader reader) =>
        {
            if (reader.Field == 1) bits = reader.Varint();
            else if (reader.Field == 3)
                width = Compression.Parse(reader.Bytes()) is Flat flat ? flat.Bits : throw new NotSupportedException("out_of_line_bitpacking of values that are not flat");
            else return false;
            return true;
        });
        if (bits is not (8 or 16 or 32 or 64) || width < 0 || width > (int)bits)
            throw new NotSupportedException($"out_of_line_bitpacking of {bits}-bit values at {width} bits");
        return new OutOfLineBitpacking((int)bits, width);
    }

    public override void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into)
    {
        if (into.BitsPerItem != bits) throw new InvalidDataException($"bit-packed {bits}-bit values where the column holds {into.BitsPerItem}-bit values");
        var blockBytes = FastLanes.BlockBytes(width);
        var wholeBlocks = count / FastLanes.ValuesPerBlock;
        var tail = count % FastLanes.ValuesPerBlock;
        var packedEnd = (long)wholeBlocks * blockBytes;
        var rawTail = tail > 0 && data.Length == packedEnd + (long)tail * (bits / 8);
        var expected = packedEnd + (tail == 0 ? 0 : rawTail ? (long)tail * (bits / 8) : blockBytes);
        if (data.Length != expected) throw new InvalidDataException($"{data.Length} bytes of bit-packed values where {count} values at {width} bits take {expected}");
        Span<ulong> values = new ulong[FastLanes.ValuesPerBlock];
        for (var block = 0; block < wholeBlocks + (tail > 0 && !rawTail ? 1 : 0); block++)
        {
            FastLanes.Unpack(data.Slice(block * blockBytes, blockBytes), bits, width, values);
            into.AppendWords(values[..Math.Min(FastLanes.ValuesPerBlock, count - block * FastLanes.ValuesPerBlock)]);
        }
        if (rawTail) into.AppendFixed(data[(int)packedEnd..], tail);
    }
}
