namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>FullZipLayout</c> of fixed-width values (LanceDB's layout for wide values such as long vectors): one buffer with,
/// per row, its control word (the definition level in 1, 2 or 4 bytes; none when the column cannot be null) followed
/// by its whole value, null rows included. Variable-width values (long strings) and repetition are refused.
/// </summary>
internal sealed class FullZipLayout : PageLayout
{
    private Compression _values = null!;
    private int _definitionBits;
    private int _valueBytes;
    private ulong _items;

    public static FullZipLayout From(ReadOnlySpan<byte> message, int bufferCount)
    {
        var layout = new FullZipLayout();
        var layers = new List<ulong>();
        ulong bitsPerValue = 0, visibleItems = 0, definitionBits = 0;
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: if (reader.Varint() != 0) throw new NotSupportedException("full_zip_layout with repetition levels (lists)"); break;
                case 2: definitionBits = reader.Varint(); break;
                case 3: bitsPerValue = reader.Varint(); break;
                case 4: throw new NotSupportedException("full_zip_layout of variable-width values");
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
        var encodedBits = layout._values switch
        {
            Flat flat => flat.Bits,
            FixedSizeList list => list.BitsPerVector,
            _ => throw new NotSupportedException($"full_zip_layout of {layout._values.Name} values"),
        };
        if (bitsPerValue != (ulong)encodedBits || encodedBits % 8 != 0)
            throw new InvalidDataException($"a full-zip page of {bitsPerValue}-bit values encoded in {encodedBits} bits");
        if (visibleItems != layout._items) throw new InvalidDataException($"a full-zip page of {layout._items} items of which {visibleItems} visible");
        if (bufferCount != 1) throw new InvalidDataException($"a full-zip page with {bufferCount} buffers (one expected without repetition)");
        layout._definitionBits = (int)definitionBits;
        layout._valueBytes = encodedBits / 8;
        return layout;
    }

    public override PageDecoder.Decoded Decode(byte[][] buffers, int rows, int bitsPerItem)
    {
        if (_items != (ulong)rows) throw new InvalidDataException($"a full-zip page of {rows} rows holds {_items} items");
        var data = buffers[0];
        var wordBytes = _definitionBits switch { 0 => 0, <= 8 => 1, _ => 2 };
        var rowBytes = wordBytes + _valueBytes;
        if (data.Length != (long)rows * rowBytes) throw new InvalidDataException($"a full-zip page of {data.Length} bytes for {rows} rows of {rowBytes} bytes");
        var values = new ValueBuffer(bitsPerItem);
        bool[]? validity = null;
        if (wordBytes == 0) _values.DecodeBlock(data, rows, values);
        else
        {
            var unzipped = new byte[(long)rows * _valueBytes];
            validity = new bool[rows];
            var mask = (1 << _definitionBits) - 1;
            for (var row = 0; row < rows; row++)
            {
                var at = row * rowBytes;
                var level = (wordBytes == 1 ? data[at] : data[at] | data[at + 1] << 8) & mask;
                validity[row] = level switch
                {
                    0 => true,
                    1 => false,
                    _ => throw new InvalidDataException($"definition level {level} in a column whose rows are its only nullable layer"),
                };
                data.AsSpan(at + wordBytes, _valueBytes).CopyTo(unzipped.AsSpan(row * _valueBytes));
            }
            _values.DecodeBlock(unzipped, rows, values);
        }
        return new PageDecoder.Decoded
        {
            Values = values.Bytes(),
            ItemValidity = values.ItemValidity(),
            Validity = validity,
        };
    }
}
