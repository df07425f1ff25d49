using System.Buffers.Binary;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// A page's values as its chunks decode them, in order: fixed-width items packed at <see cref="BitsPerItem"/> bits
/// (1 for booleans), or variable-width items as bytes and end offsets; vectors may add one validity bit per item.
/// </summary>
internal sealed class ValueBuffer(int bitsPerItem)
{
    private byte[] _bytes = new byte[64];
    private long _bits;
    private long[] _ends = bitsPerItem == 0 ? new long[16] : [];
    private bool[]? _itemValidity;
    private int _itemValidityCount;

    /// <summary>0 for variable-width values.</summary>
    public int BitsPerItem { get; } = bitsPerItem;

    /// <summary>Items appended so far.</summary>
    public int Count { get; private set; }

    public int ByteLength => (int)((_bits + 7) / 8);

    /// <summary><paramref name="count"/> fixed-width items, packed at <see cref="BitsPerItem"/> bits from bit 0 of <paramref name="packed"/>.</summary>
    public void AppendFixed(ReadOnlySpan<byte> packed, int count)
    {
        if (BitsPerItem == 0) throw new InvalidDataException("fixed-width values in a variable-width page");
        var bits = (long)count * BitsPerItem;
        if (packed.Length * 8L < bits) throw new InvalidDataException($"a buffer of {packed.Length} bytes does not hold {count} values of {BitsPerItem} bits");
        Reserve((int)((_bits + bits + 7) / 8));
        // Whole bytes copy when the buffer ends on a byte boundary (always, but for booleans after a partial chunk).
        var copied = _bits % 8 == 0 ? bits / 8 * 8 : 0;
        packed[..(int)(copied / 8)].CopyTo(_bytes.AsSpan((int)(_bits / 8)));
        for (var i = copied; i < bits; i++)
            if ((packed[(int)(i >> 3)] & (1 << (int)(i & 7))) != 0) _bytes[(_bits + i) >> 3] |= (byte)(1 << (int)((_bits + i) & 7));
        _bits += bits;
        Count += count;
    }

    /// <summary>Fixed-width items given as numbers (decompressed integers), each stored in <see cref="BitsPerItem"/> bits.</summary>
    public void AppendWords(ReadOnlySpan<ulong> words)
    {
        if (BitsPerItem % 8 != 0 || BitsPerItem == 0) throw new InvalidDataException($"integer values where items of {BitsPerItem} bits are expected");
        var width = BitsPerItem / 8;
        Reserve(ByteLength + words.Length * width);
        var target = _bytes.AsSpan((int)(_bits / 8));
        Span<byte> word = stackalloc byte[8];
        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, words[i]);
            word[..width].CopyTo(target[(i * width)..]);
        }
        _bits += (long)words.Length * BitsPerItem;
        Count += words.Length;
    }

    /// <summary>One variable-width item.</summary>
    public void AppendItem(ReadOnlySpan<byte> item)
    {
        if (BitsPerItem != 0) throw new InvalidDataException("variable-width values in a fixed-width page");
        Reserve(ByteLength + item.Length);
        item.CopyTo(_bytes.AsSpan(ByteLength));
        _bits += item.Length * 8L;
        if (Count == _ends.Length) Array.Resize(ref _ends, _ends.Length * 2);
        _ends[Count++] = ByteLength;
    }

    /// <summary>Item <paramref name="index"/> of <paramref name="source"/> (a page's dictionary), or an empty/zero item for a null row.</summary>
    public void AppendFrom(ValueBuffer source, long index)
    {
        if (index < 0 || index >= source.Count) throw new InvalidDataException($"dictionary index {index} is outside the {source.Count} items");
        if (BitsPerItem == 0) AppendItem(source.Item((int)index));
        else if (BitsPerItem % 8 == 0 && source.BitsPerItem == BitsPerItem)
            AppendFixed(source._bytes.AsSpan((int)(index * (BitsPerItem / 8)), BitsPerItem / 8), 1);
        else throw new InvalidDataException($"a dictionary of {source.BitsPerItem}-bit items for a column of {BitsPerItem}-bit values");
    }

    /// <summary>Variable-width item <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Item(int index)
    {
        var start = index == 0 ? 0 : _ends[index - 1];
        return _bytes.AsSpan((int)start, (int)(_ends[index] - start));
    }

    /// <summary>The stand-in for a null row: no bytes, or a zero value.</summary>
    public void AppendNull()
    {
        if (BitsPerItem == 0) AppendItem([]);
        else AppendFixed(new byte[(BitsPerItem + 7) / 8], 1);
    }

    /// <summary>Item <paramref name="index"/> as an unsigned integer (dictionary indices).</summary>
    public ulong Integer(int index)
    {
        var width = BitsPerItem / 8;
        Span<byte> word = stackalloc byte[8];
        word.Clear();
        _bytes.AsSpan(index * width, width).CopyTo(word);
        return BinaryPrimitives.ReadUInt64LittleEndian(word);
    }

    /// <summary>Validity bits (1 = valid) of <paramref name="count"/> items inside vectors, from bit 0 of <paramref name="bitmap"/>.</summary>
    public void AppendItemValidity(ReadOnlySpan<byte> bitmap, int count)
    {
        if (bitmap.Length * 8L < count) throw new InvalidDataException($"a validity bitmap of {bitmap.Length} bytes does not hold {count} items");
        _itemValidity ??= new bool[Math.Max(64, count)];
        if (_itemValidityCount + count > _itemValidity.Length) Array.Resize(ref _itemValidity, Math.Max(_itemValidity.Length * 2, _itemValidityCount + count));
        for (var i = 0; i < count; i++) _itemValidity[_itemValidityCount + i] = (bitmap[i >> 3] & (1 << (i & 7))) != 0;
        _itemValidityCount += count;
    }

    public byte[] Bytes() => _bytes.AsSpan(0, ByteLength).ToArray();

    public long[] Ends() => _ends.AsSpan(0, Count).ToArray();

    /// <summary>Null when no chunk carried item validity; a page mixing chunks with and without it is corrupt.</summary>
    public bool[]? ItemValidity()
    {
        if (_itemValidity is null) return null;
        if (_itemValidityCount != Count) throw new InvalidDataException($"{_itemValidityCount} item validity bits for {Count} items");
        return _itemValidity.AsSpan(0, _itemValidityCount).ToArray();
    }

    private void Reserve(int bytes)
    {
        if (bytes > _bytes.Length) Array.Resize(ref _bytes, Math.Max(bytes, _bytes.Length * 2));
    }
}
