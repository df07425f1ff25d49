namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>FixedSizeList</c> over flat items (vectors): a chunk holds, when the items can be null, a validity bitmap of its
/// items (1 = valid, from bit 0) and then the items themselves. Nested lists are refused.
/// </summary>
internal sealed class FixedSizeList(int dimension, bool hasValidity, Flat items) : Compression
{
    public int Dimension { get; } = dimension;

    public override string Name => "fixed_size_list";

    public override int ChunkBuffers => hasValidity ? 2 : 1;

    protected override bool Supports(CompressionRole role) => role == CompressionRole.MiniBlockValues;

    public static FixedSizeList From(ReadOnlySpan<byte> message)
    {
        ulong dimension = 0;
        var hasValidity = false;
        Flat? items = null;
        Fields(message, "fixed_size_list", (ref ProtoReader reader) =>
        {
            if (reader.Field == 1) dimension = reader.Varint();
            else if (reader.Field == 3) hasValidity = reader.Varint() != 0;
            else if (reader.Field == 2)
                items = Compression.Parse(reader.Bytes()) as Flat ?? throw new NotSupportedException("fixed_size_list of items that are not flat");
            else return false;
            return true;
        });
        if (dimension is 0 or > int.MaxValue || items is null) throw new NotSupportedException($"fixed_size_list of dimension {dimension}");
        return new FixedSizeList((int)dimension, hasValidity, items);
    }

    public override void DecodeChunk(ReadOnlyMemory<byte>[] buffers, int count, ValueBuffer into)
    {
        var itemCount = checked(count * Dimension);
        if (hasValidity)
        {
            var bitmapBytes = (itemCount + 7) / 8;
            if (buffers[0].Length != bitmapBytes) throw new InvalidDataException($"an item validity bitmap of {buffers[0].Length} bytes for {itemCount} items");
            into.AppendItemValidity(buffers[0].Span, itemCount);
        }
        items.DecodeBlock(buffers[^1].Span, itemCount, into);
    }

    public override void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into) =>
        throw new NotSupportedException("fixed_size_list outside a mini-block");
}
