using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// A page's values as its chunks decode them, in order: fixed-width items packed at <see cref="BitsPerItem"/> bits
/// (1 for booleans), or variable-width items as bytes and end offsets; vectors may add one validity bit per item.
/// </summary>
internal sealed class ValueBuffer
{
    private byte[] _bytes;
    private long _bits;
    private long[] _ends;
    private bool[]? _itemValidity;
    private int _itemValidityCount;

    /// <summary>What a page's metadata may reserve up front; past it the buffer grows as values come (a damaged row count costs no memory).</summary>
    private const int MaxReservedBytes = 64 * 1024 * 1024;

    /// <param name="expectedItems">items the page should hold: fixed-width values then fill an array of just their size.</param>
    public ValueBuffer(int bitsPerItem, int expectedItems = 0)
    {
        BitsPerItem = bitsPerItem;
        _bytes = new byte[Math.Clamp(((long)expectedItems * bitsPerItem + 7) / 8, 64, MaxReservedBytes)];
        _ends = bitsPerItem == 0 ? new long[Math.Clamp(expectedItems, 16, MaxReservedBytes / sizeof(long))] : [];
    }

    /// <summary>0 for variable-width values.</summary>
    public int BitsPerItem { get; }

    /// <summary>Items appended so far.</summary>
    public int Count { get; private set; }

    public int ByteLength => (int)((_bits + 7) / 8);

    /// <summary><paramref name="count"/> fixed-width items, packed at <see cref="BitsPerItem"/> bits from bit 0 of <paramref name="packed"/>.</summary>
    public void AppendFixed(ReadOnlySpan<byte> packed, int count)
    {
        if (BitsPerItem == 0) throw new InvalidDataException("fixed-width values in a variable-width page");
        var bits = (long)count * BitsPerItem;
        if (packed.Length * 8L < bits) throw new InvalidDataException($"a buffer of {packed.Length} bytes does not hold {count} values of {BitsPerItem} bits");
        Reserve((_bits + bits + 7) / 8);
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
        var target = _bytes.AsSpan(ByteLength, words.Length * width);
        // Little-endian items: narrowing each word keeps its low bytes.
        switch (width)
        {
            case 8:
                MemoryMarshal.AsBytes(words).CopyTo(target);
                break;
            case 4:
                Narrow(words, MemoryMarshal.Cast<byte, uint>(target));
                break;
            case 2:
                Narrow(words, MemoryMarshal.Cast<byte, ushort>(target));
                break;
            default:
                Narrow(words, target);
                break;
        }
        _bits += (long)words.Length * BitsPerItem;
        Count += words.Length;
    }

    private static void Narrow<T>(ReadOnlySpan<ulong> words, Span<T> target) where T : struct, IBinaryInteger<T>
    {
        for (var i = 0; i < words.Length; i++) target[i] = T.CreateTruncating(words[i]);
    }

    /// <summary><paramref name="count"/> copies of one fixed-width item of whole bytes (a run).</summary>
    public void AppendRepeated(ReadOnlySpan<byte> item, int count)
    {
        if (BitsPerItem == 0 || item.Length * 8 != BitsPerItem || _bits % 8 != 0)
        {
            for (var i = 0; i < count; i++) AppendFixed(item, 1);
            return;
        }
        Reserve(ByteLength + (long)count * item.Length);
        var target = _bytes.AsSpan(ByteLength, count * item.Length);
        if (item.Length == 1) target.Fill(item[0]);
        else
            for (var at = 0; at < target.Length; at += item.Length) item.CopyTo(target[at..]);
        _bits += (long)count * BitsPerItem;
        Count += count;
    }

    /// <summary>One variable-width item.</summary>
    public void AppendItem(ReadOnlySpan<byte> item)
    {
        item.CopyTo(ItemSpace(item.Length));
        EndItem(item.Length);
    }

    /// <summary>Room for the next variable-width item, of at most <paramref name="maxBytes"/>, to decode in place; <see cref="EndItem"/> says how long it came out.</summary>
    public Span<byte> ItemSpace(int maxBytes)
    {
        if (BitsPerItem != 0) throw new InvalidDataException("variable-width values in a fixed-width page");
        Reserve(ByteLength + (long)maxBytes);
        return _bytes.AsSpan(ByteLength, maxBytes);
    }

    public void EndItem(int bytes)
    {
        _bits += bytes * 8L;
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
        var target = _itemValidity.AsSpan(_itemValidityCount, count);
        var whole = count / 8;
        var bools = MemoryMarshal.AsBytes(target);
        for (var b = 0; b < whole; b++) BinaryPrimitives.WriteUInt64LittleEndian(bools[(b * 8)..], BitsAsBools[bitmap[b]]);
        for (var i = whole * 8; i < count; i++) target[i] = (bitmap[i >> 3] & (1 << (i & 7))) != 0;
        _itemValidityCount += count;
    }

    /// <summary>Each byte's 8 bits (from bit 0) as 8 bools: a bitmap expands a byte at a time.</summary>
    private static readonly ulong[] BitsAsBools = Enumerable.Range(0, 256)
        .Select(bits => Enumerable.Range(0, 8).Aggregate(0UL, (word, bit) => word | (ulong)((bits >> bit) & 1) << (bit * 8)))
        .ToArray();

    /// <summary>The bytes appended, for when appending is done: the buffer's own array when it is just full (it was sized for its page).</summary>
    public byte[] Bytes() => _bytes.Length == ByteLength ? _bytes : _bytes.AsSpan(0, ByteLength).ToArray();

    /// <summary>The items' end offsets, for when appending is done.</summary>
    public long[] Ends() => _ends.Length == Count ? _ends : _ends.AsSpan(0, Count).ToArray();

    /// <summary>Null when no chunk carried item validity; a page mixing chunks with and without it is corrupt.</summary>
    public bool[]? ItemValidity()
    {
        if (_itemValidity is null) return null;
        if (_itemValidityCount != Count) throw new InvalidDataException($"{_itemValidityCount} item validity bits for {Count} items");
        return _itemValidity.AsSpan(0, _itemValidityCount).ToArray();
    }

    private void Reserve(long bytes)
    {
        if (bytes > _bytes.Length) Array.Resize(ref _bytes, (int)Math.Min(Array.MaxLength, Math.Max(bytes, _bytes.Length * 2L)));
    }
}
