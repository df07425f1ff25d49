using System.Buffers.Binary;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>MiniBlockLayout</c>: the page's values cut into small chunks, each decoded as a unit. Page buffer 0 holds one
/// word per chunk (16 bits, or 32 since 2.2's large chunks): the chunk's size in 8-byte units minus one above 4 bits
/// of log2 of its value count (the last chunk takes the rest). Buffer 1 holds the chunks back to back, each:
/// level count (u16), definition level bytes (u16, when the page has them), each value buffer's bytes (u16, or u32
/// with large chunks), padding to 8, then the definition levels and each value buffer, each padded to 8. A dictionary
/// page's values are indices into its dictionary, page buffer 2.
/// </summary>
internal sealed class MiniBlockLayout : PageLayout
{
    private const int Alignment = 8;

    private Compression? _definition;
    private Compression? _dictionary;
    private ulong _dictionaryItems;
    private Compression _values = null!;
    private bool _nullable;
    private bool _largeChunks;
    private ulong _items;

    public static MiniBlockLayout From(ReadOnlySpan<byte> message, int bufferCount)
    {
        var layout = new MiniBlockLayout();
        var layers = new List<ulong>();
        ulong bufferCountInChunks = 0;
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: throw new NotSupportedException("mini_block_layout with repetition levels (lists)");
                case 2: layout._definition = Compression.Parse(reader.Bytes(), CompressionRole.Block); break;
                case 3: layout._values = Compression.Parse(reader.Bytes(), CompressionRole.MiniBlockValues); break;
                case 4: layout._dictionary = Compression.Parse(reader.Bytes(), CompressionRole.Block); break;
                case 5: layout._dictionaryItems = reader.Varint(); break;
                case 6: reader.Repeated(layers); break;
                case 7: bufferCountInChunks = reader.Varint(); break;
                case 8: if (reader.Varint() != 0) throw new NotSupportedException("mini_block_layout with a repetition index"); break;
                case 9: layout._items = reader.Varint(); break;
                case 10: layout._largeChunks = reader.Varint() != 0; break;
                default: throw new NotSupportedException($"mini_block_layout with field #{reader.Field}");
            }
        }
        if (layout._values is null) throw new InvalidDataException("a mini-block page without a value encoding");
        layout._nullable = Nullable(layers);
        if (!layout._nullable && layout._definition is not null) throw new InvalidDataException("definition levels in a page of a column that cannot be null");
        if (bufferCountInChunks != (ulong)layout._values.ChunkBuffers)
            throw new InvalidDataException($"mini-block chunks of {bufferCountInChunks} buffers for {layout._values.Name}, which uses {layout._values.ChunkBuffers}");
        if (layout._dictionary is not null && layout._values.FixedBits is not (8 or 16 or 32 or 64))
            throw new NotSupportedException($"mini_block_layout with dictionary indices in {layout._values.Name}");
        if (layout._dictionary is not null && layout._dictionaryItems > int.MaxValue) throw new InvalidDataException($"a dictionary of {layout._dictionaryItems} items");
        var buffers = layout._dictionary is null ? 2 : 3;
        if (bufferCount != buffers) throw new InvalidDataException($"a mini-block page with {bufferCount} buffers ({buffers} expected: chunk sizes, chunks and any dictionary)");
        return layout;
    }

    public override PageDecoder.Decoded Decode(byte[][] buffers, int rows, int bitsPerItem)
    {
        if (_items != (ulong)rows) throw new InvalidDataException($"a mini-block page of {rows} rows holds {_items} items");
        var values = _dictionary is null
            ? new ValueBuffer(bitsPerItem, checked(rows * ItemsPerValue(_values)))
            : new ValueBuffer(_values.FixedBits!.Value, rows);
        var levels = _definition is null ? null : new ValueBuffer(16, rows);
        var (words, data) = (buffers[0], buffers[1]);
        var wordBytes = _largeChunks ? 4 : 2;
        if (words.Length % wordBytes != 0) throw new InvalidDataException($"mini-block chunk sizes of {words.Length} bytes in {wordBytes}-byte words");
        var chunks = words.Length / wordBytes;
        if (chunks == 0 && rows > 0) throw new InvalidDataException($"a mini-block page of {rows} rows without chunks");
        long position = 0, done = 0;
        for (var c = 0; c < chunks; c++)
        {
            var word = _largeChunks ? BinaryPrimitives.ReadUInt32LittleEndian(words.AsSpan(c * 4)) : BinaryPrimitives.ReadUInt16LittleEndian(words.AsSpan(c * 2));
            var size = ((long)(word >> 4) + 1) * Alignment;
            var count = c < chunks - 1 ? 1L << (int)(word & 0xF) : rows - done;
            if (count <= 0 || count > 4096 || position + size > data.Length)
                throw new InvalidDataException($"mini-block chunk {c} ({count} values, {size} bytes at {position}) does not fit the page ({rows} rows, {data.Length} bytes)");
            DecodeChunk(data.AsMemory((int)position, (int)size), (int)count, values, levels);
            position += size;
            done += count;
        }
        if (done != rows || position != data.Length)
            throw new InvalidDataException($"mini-block chunks hold {done} values in {position} bytes; the page has {rows} rows in {data.Length} bytes");
        var validity = levels is null ? null : Validity(levels, rows);
        if (_dictionary is not null) values = LookUp(values, validity, buffers[2], bitsPerItem);
        return new PageDecoder.Decoded
        {
            Values = values.Bytes(),
            Ends = bitsPerItem == 0 ? values.Ends() : null,
            ItemValidity = values.ItemValidity(),
            Validity = validity,
        };
    }

    /// <summary>Dictionary pages store each row's index (from 0) into the page's dictionary; null rows' indices mean nothing.</summary>
    private ValueBuffer LookUp(ValueBuffer indices, bool[]? validity, byte[] dictionaryBuffer, int bitsPerItem)
    {
        var dictionary = new ValueBuffer(bitsPerItem, (int)_dictionaryItems);
        _dictionary!.DecodeBlock(dictionaryBuffer, (int)_dictionaryItems, dictionary);
        var values = new ValueBuffer(bitsPerItem, indices.Count);
        for (var row = 0; row < indices.Count; row++)
        {
            if (validity is not null && !validity[row]) values.AppendNull();
            else values.AppendFrom(dictionary, (long)Math.Min(indices.Integer(row), long.MaxValue));
        }
        return values;
    }

    private void DecodeChunk(ReadOnlyMemory<byte> chunk, int count, ValueBuffer values, ValueBuffer? levels)
    {
        var span = chunk.Span;
        var header = 2 + (levels is null ? 0 : 2) + _values.ChunkBuffers * (_largeChunks ? 4 : 2);
        if (span.Length < header) throw new InvalidDataException($"a mini-block chunk of {span.Length} bytes is shorter than its header");
        var levelCount = BinaryPrimitives.ReadUInt16LittleEndian(span);
        var position = 2;
        var levelBytes = 0;
        if (levels is not null)
        {
            levelBytes = BinaryPrimitives.ReadUInt16LittleEndian(span[position..]);
            position += 2;
            if (levelCount != count) throw new InvalidDataException($"a mini-block chunk of {count} values has {levelCount} definition levels");
        }
        var sizes = new long[_values.ChunkBuffers];
        for (var b = 0; b < sizes.Length; b++)
        {
            sizes[b] = _largeChunks ? BinaryPrimitives.ReadUInt32LittleEndian(span[position..]) : BinaryPrimitives.ReadUInt16LittleEndian(span[position..]);
            position += _largeChunks ? 4 : 2;
        }
        var offset = (long)Pad(position);
        if (levels is not null)
        {
            _definition!.DecodeBlock(Slice(chunk, offset, levelBytes).Span, count, levels);
            offset = Pad(offset + levelBytes);
        }
        var buffers = new ReadOnlyMemory<byte>[sizes.Length];
        for (var b = 0; b < sizes.Length; b++)
        {
            buffers[b] = Slice(chunk, offset, sizes[b]);
            offset = Pad(offset + sizes[b]);
        }
        if (offset != chunk.Length) throw new InvalidDataException($"a mini-block chunk of {chunk.Length} bytes holds {offset} bytes of buffers");
        _values.DecodeChunk(buffers, count, values);
    }

    private static ReadOnlyMemory<byte> Slice(ReadOnlyMemory<byte> chunk, long offset, long length) =>
        offset + length <= chunk.Length
            ? chunk.Slice((int)offset, (int)length)
            : throw new InvalidDataException($"a mini-block chunk buffer ({length} bytes at {offset}) runs past the chunk's {chunk.Length} bytes");

    private static long Pad(long offset) => (offset + Alignment - 1) / Alignment * Alignment;

    /// <summary>Definition level 0 is a valid row, 1 a null one; a top-level column has no other levels.</summary>
    private static bool[] Validity(ValueBuffer levels, int rows)
    {
        var bytes = levels.Bytes();
        var valid = new bool[rows];
        for (var i = 0; i < rows; i++)
        {
            var level = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2));
            valid[i] = level switch
            {
                0 => true,
                1 => false,
                _ => throw new InvalidDataException($"definition level {level} in a column whose rows are its only nullable layer"),
            };
        }
        return valid;
    }
}
