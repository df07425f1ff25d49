using System.Buffers.Binary;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>FullZipLayout</c> (LanceDB's layout for wide values: long vectors, strings of 256 bytes or more, each one
/// fsst-, lz4- or zstd-compressed on its own where the writer chose): one buffer
/// with, per row, its control word (the definition level in 1 or 2 bytes; none when the column cannot be null)
/// followed by its value. A fixed-width value is always there, null rows included; a variable-width value is its
/// length (bits_per_offset wide) and bytes, absent for null rows, and a second buffer gives each row's start offset
/// (1, 2, 4 or 8 bytes each, plus the end). Repetition (lists) is refused.
/// </summary>
internal sealed class FullZipLayout : PageLayout
{
    private Compression _values = null!;
    private int _definitionBits;
    private int _valueBytes;
    private int _lengthBytes;
    private ulong _items;

    public static FullZipLayout From(ReadOnlySpan<byte> message, int bufferCount)
    {
        var layout = new FullZipLayout();
        var layers = new List<ulong>();
        ulong bitsPerValue = 0, bitsPerOffset = 0, visibleItems = 0, definitionBits = 0;
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: if (reader.Varint() != 0) throw new NotSupportedException("full_zip_layout with repetition levels (lists)"); break;
                case 2: definitionBits = reader.Varint(); break;
                case 3: bitsPerValue = reader.Varint(); break;
                case 4: bitsPerOffset = reader.Varint(); break;
                case 5: layout._items = reader.Varint(); break;
                case 6: visibleItems = reader.Varint(); break;
                case 7: layout._values = Compression.Parse(reader.Bytes(), CompressionRole.FullZipValues); break;
                case 8: reader.Repeated(layers); break;
                default: throw new NotSupportedException($"full_zip_layout with field #{reader.Field}");
            }
        }
        if (layout._values is null) throw new InvalidDataException("a full-zip page without a value encoding");
        var nullable = Nullable(layers);
        if (definitionBits > 16 || (definitionBits > 0) != nullable)
            throw new InvalidDataException($"a full-zip page with {definitionBits} definition bits for a column that {(nullable ? "can" : "cannot")} be null");
        if (visibleItems != layout._items) throw new InvalidDataException($"a full-zip page of {layout._items} items of which {visibleItems} visible");
        layout._definitionBits = (int)definitionBits;
        if (bitsPerOffset != 0) return layout.Variable(bitsPerValue, bitsPerOffset, bufferCount);
        var encodedBits = layout._values switch
        {
            Flat flat => flat.Bits,
            FixedSizeList list => list.BitsPerVector,
            _ => throw new NotSupportedException($"full_zip_layout of {layout._values.Name} values"),
        };
        if (bitsPerValue != (ulong)encodedBits || encodedBits % 8 != 0)
            throw new InvalidDataException($"a full-zip page of {bitsPerValue}-bit values encoded in {encodedBits} bits");
        if (bufferCount != 1) throw new InvalidDataException($"a full-zip page of fixed-width values with {bufferCount} buffers (one expected)");
        layout._valueBytes = encodedBits / 8;
        return layout;
    }

    private FullZipLayout Variable(ulong bitsPerValue, ulong bitsPerOffset, int bufferCount)
    {
        if (bitsPerValue != 0 || bitsPerOffset is not (32 or 64)) throw new NotSupportedException($"full_zip_layout of variable-width values with {bitsPerOffset}-bit lengths");
        if (_values is not (V21.Variable or IPerValueCompression)) throw new NotSupportedException($"full_zip_layout of variable-width values in {_values.Name}");
        if (bufferCount != 2) throw new InvalidDataException($"a full-zip page of variable-width values with {bufferCount} buffers (values and row offsets expected)");
        _lengthBytes = (int)bitsPerOffset / 8;
        return this;
    }

    public override PageDecoder.Decoded Decode(byte[][] buffers, int rows, int bitsPerItem)
    {
        if (_items != (ulong)rows) throw new InvalidDataException($"a full-zip page of {rows} rows holds {_items} items");
        if (_lengthBytes > 0) return DecodeVariable(buffers[0], buffers[1], rows);
        var data = buffers[0];
        var wordBytes = WordBytes;
        var rowBytes = wordBytes + _valueBytes;
        if (data.Length != (long)rows * rowBytes) throw new InvalidDataException($"a full-zip page of {data.Length} bytes for {rows} rows of {rowBytes} bytes");
        var values = new ValueBuffer(bitsPerItem, checked(rows * ItemsPerValue(_values)));
        bool[]? validity = null;
        if (wordBytes == 0) _values.DecodeBlock(data, rows, values);
        else
        {
            // Each row's value decodes where it lies, between control words: wide values are not worth gathering first.
            validity = new bool[rows];
            for (var row = 0; row < rows; row++)
            {
                var at = row * rowBytes;
                validity[row] = Valid(data, at);
                _values.DecodeBlock(data.AsSpan(at + wordBytes, _valueBytes), 1, values);
            }
        }
        return new PageDecoder.Decoded
        {
            Values = values.Bytes(),
            ItemValidity = values.ItemValidity(),
            Validity = validity,
        };
    }

    /// <summary>Rows without control words whose values are stored as they are: the page is the column's array.</summary>
    public override PlainValues? Plain(long rows) =>
        _definitionBits != 0 || _lengthBytes != 0 || _items != (ulong)rows
            ? null
            : _values switch
            {
                Flat flat => new PlainValues(0, flat.Bits, 1),
                FixedSizeList { HasValidity: false } list => new PlainValues(0, list.ItemBits, list.Dimension),
                _ => null,
            };

    private int WordBytes => _definitionBits switch { 0 => 0, <= 8 => 1, _ => 2 };

    /// <summary>The row's control word at <paramref name="at"/>: definition level 0 is a valid row, 1 a null one.</summary>
    private bool Valid(byte[] data, long at)
    {
        if (WordBytes == 0) return true;
        if (at + WordBytes > data.Length) throw new InvalidDataException($"a full-zip page of {data.Length} bytes ends inside a control word at {at}");
        var level = (WordBytes == 1 ? data[at] : data[at] | data[at + 1] << 8) & ((1 << _definitionBits) - 1);
        return level switch
        {
            0 => true,
            1 => false,
            _ => throw new InvalidDataException($"definition level {level} in a column whose rows are its only nullable layer"),
        };
    }

    private PageDecoder.Decoded DecodeVariable(byte[] data, byte[] rowOffsets, int rows)
    {
        var offsetBytes = rowOffsets.Length % (rows + 1L) == 0 ? rowOffsets.Length / (rows + 1) : 0;
        if (offsetBytes is not (1 or 2 or 4 or 8)) throw new InvalidDataException($"full-zip row offsets of {rowOffsets.Length} bytes for {rows} rows");
        var values = new ValueBuffer(0, rows);
        var validity = WordBytes == 0 ? null : new bool[rows];
        long at = 0;
        for (var row = 0; row <= rows; row++)
        {
            if (RowOffset(rowOffsets, offsetBytes, row) != (ulong)at)
                throw new InvalidDataException($"full-zip row {row} starts at {at}, its row offset says {RowOffset(rowOffsets, offsetBytes, row)}");
            if (row == rows) break;
            var valid = Valid(data, at);
            if (validity is not null) validity[row] = valid;
            at += WordBytes;
            if (!valid)
            {
                values.AppendNull();
                continue;
            }
            if (at + _lengthBytes > data.Length) throw new InvalidDataException($"a full-zip page of {data.Length} bytes ends inside row {row}'s length");
            var length = _lengthBytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)at)) : BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan((int)at));
            at += _lengthBytes;
            if (length > (ulong)(data.Length - at)) throw new InvalidDataException($"full-zip row {row} claims {length} bytes, {data.Length - at} remain");
            var item = data.AsSpan((int)at, (int)length);
            if (_values is IPerValueCompression perValue) perValue.AppendDecompressed(item, values);
            else values.AppendItem(item);
            at += (long)length;
        }
        if (at != data.Length) throw new InvalidDataException($"a full-zip page of {data.Length} bytes holds {rows} rows in {at}");
        return new PageDecoder.Decoded { Values = values.Bytes(), Ends = values.Ends(), Validity = validity };
    }

    private static ulong RowOffset(byte[] offsets, long width, int row)
    {
        var bytes = offsets.AsSpan((int)(row * width), (int)width);
        return width switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        };
    }
}
