namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>FixedSizeList</c> over flat items (vectors): a mini-block chunk holds, when the items can be null, a validity
/// bitmap of its items (1 = valid, from bit 0) and then the items themselves; a full-zip page stores each vector whole.
/// Nested lists are refused.
/// </summary>
internal sealed class FixedSizeList(int dimension, bool hasValidity, Flat items) : Compression
{
    public int Dimension { get; } = dimension;

    public override string Name => "fixed_size_list";

    /// <summary>Whether each vector carries validity bits for its items.</summary>
    public bool HasValidity => hasValidity;

    public int ItemBits => items.Bits;

    public override int ChunkBuffers => hasValidity ? 2 : 1;

    public override bool Supports(CompressionRole role) => role != CompressionRole.Block;

    /// <summary>Bits one vector takes in a full-zip page: its validity bytes (when the items can be null), then its items.</summary>
    public int BitsPerVector => (hasValidity ? (Dimension + 7) / 8 * 8 : 0) + Dimension * items.Bits;

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

    /// <summary>Vectors stored whole one after another (full-zip): each one's validity bytes, when present, then its items.</summary>
    public override void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into)
    {
        if (!hasValidity)
        {
            items.DecodeBlock(data, checked(count * Dimension), into);
            return;
        }
        var validityBytes = (Dimension + 7) / 8;
        var vectorBytes = BitsPerVector / 8;
        if (data.Length != (long)count * vectorBytes) throw new InvalidDataException($"{data.Length} bytes of vectors where {count} vectors take {vectorBytes} bytes each");
        for (var i = 0; i < count; i++)
        {
            var vector = data.Slice(i * vectorBytes, vectorBytes);
            into.AppendItemValidity(vector[..validityBytes], Dimension);
            items.DecodeBlock(vector[validityBytes..], Dimension, into);
        }
    }
}
