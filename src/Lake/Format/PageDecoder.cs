using System.Buffers.Binary;
using System.Runtime.InteropServices;
using AiPlatform.Lake.Batches;

namespace AiPlatform.Lake.Format;

/// <summary>
/// Decodes one page's buffers through its (possibly nested) v2.0 ArrayEncoding into a typed column. Buffer sizes and
/// offsets are checked against the row count, so corrupt metadata ends in an error rather than in shifted values.
/// </summary>
internal static class PageDecoder
{
    /// <summary>What an encoding layer (or a 2.1/2.2 page layout) yields before it becomes a typed column.</summary>
    internal sealed class Decoded
    {
        public byte[] Values = [];
        public bool[]? Validity;
        public bool[]? ItemValidity;
        public long[]? Ends;
        public bool AllNull;
    }

    public static Column Decode(byte[] encoding, byte[][] buffers, int rows, LanceType type)
    {
        var decoded = DecodeArray(encoding, buffers, rows, BitsOf(type));
        return ToColumn(decoded, rows, type);
    }

    /// <summary>Bits per item of a flat buffer for the type, 0 when the layer decides (variable width).</summary>
    public static int BitsOf(LanceType type) => type.IsVariableWidth ? 0 : type.BitWidth;

    private static Decoded DecodeArray(ReadOnlySpan<byte> encoding, byte[][] buffers, int rows, int bits)
    {
        var reader = new ProtoReader(encoding);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case Encodings.Flat: return DecodeFlat(reader.Bytes(), buffers, rows, bits);
                case Encodings.Nullable: return DecodeNullable(reader.Bytes(), buffers, rows, bits);
                case Encodings.FixedSizeList: return DecodeFixedSizeList(reader.Bytes(), buffers, rows, bits);
                case Encodings.Binary: return DecodeBinary(reader.Bytes(), buffers, rows);
                case Encodings.Dictionary: return DecodeDictionary(reader.Bytes(), buffers, rows);
                default: reader.Skip(); break;
            }
        }
        throw new NotSupportedException("page uses a Lance encoding this reader does not support");
    }

    /// <param name="rows">items in the buffer; negative when the caller cannot know (the bytes of a binary layer).</param>
    private static Decoded DecodeFlat(ReadOnlySpan<byte> flat, byte[][] buffers, int rows, int expectedBits)
    {
        var (bits, bufferIndex) = Encodings.ReadFlat(flat);
        if (bufferIndex >= buffers.Length) throw new InvalidDataException($"flat values name buffer {bufferIndex} of {buffers.Length}");
        if (expectedBits > 0 && bits != (ulong)expectedBits) throw new InvalidDataException($"flat values of {bits} bits where {expectedBits} are expected");
        var values = buffers[bufferIndex];
        if (rows >= 0 && values.LongLength != ((long)rows * (long)bits + 7) / 8)
            throw new InvalidDataException($"a flat buffer of {values.Length} bytes does not hold {rows} values of {bits} bits");
        return new Decoded { Values = values };
    }

    private static Decoded DecodeNullable(ReadOnlySpan<byte> nullable, byte[][] buffers, int rows, int bits)
    {
        var reader = new ProtoReader(nullable);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case Encodings.NoNulls:
                    return DecodeArray(SubMessage(reader.Bytes(), 1), buffers, rows, bits);
                case Encodings.SomeNulls:
                {
                    var someNulls = reader.Bytes();
                    var values = DecodeArray(SubMessage(someNulls, 2), buffers, rows, bits);
                    var validity = DecodeArray(SubMessage(someNulls, 1), buffers, rows, 1).Values;
                    var valid = new bool[rows];
                    for (var i = 0; i < rows; i++) valid[i] = (validity[i >> 3] & (1 << (i & 7))) != 0;
                    values.Validity = valid;
                    return values;
                }
                case Encodings.AllNulls:
                    reader.Skip();
                    return new Decoded { AllNull = true, Validity = new bool[rows], Ends = new long[rows] };
                default:
                    reader.Skip();
                    break;
            }
        }
        throw new InvalidDataException("empty nullable encoding");
    }

    /// <summary>The list's own nulls come from an outer nullable layer; the items' nulls stay per item.</summary>
    private static Decoded DecodeFixedSizeList(ReadOnlySpan<byte> list, byte[][] buffers, int rows, int bits)
    {
        var dimension = 0;
        ReadOnlySpan<byte> itemsEncoding = default;
        var reader = new ProtoReader(list);
        while (reader.Next())
        {
            if (reader.Field == 1) dimension = reader.Count();
            else if (reader.Field == 2) itemsEncoding = reader.Bytes();
            else reader.Skip();
        }
        if (dimension == 0) throw new InvalidDataException("fixed_size_list without a dimension");
        var items = checked(rows * dimension);
        var decoded = DecodeArray(itemsEncoding, buffers, items, bits);
        // Every item null is not every vector null: the rows stay valid unless an outer layer says otherwise.
        return decoded.AllNull
            ? new Decoded { Values = new byte[items * sizeof(float)], ItemValidity = new bool[items] }
            : new Decoded { Values = decoded.Values, ItemValidity = decoded.Validity };
    }

    private static Decoded DecodeBinary(ReadOnlySpan<byte> binary, byte[][] buffers, int rows)
    {
        ReadOnlySpan<byte> indices = default, bytes = default;
        ulong nullAdjustment = 0;
        var reader = new ProtoReader(binary);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: indices = reader.Bytes(); break;
                case 2: bytes = reader.Bytes(); break;
                case 3: nullAdjustment = reader.Varint(); break;
                default: reader.Skip(); break;
            }
        }
        var offsets = DecodeArray(indices, buffers, rows, 64);
        if (offsets.AllNull) return offsets;
        var rawEnds = offsets.Values;
        var data = DecodeArray(bytes, buffers, -1, 8).Values;
        var ends = new long[rows];
        bool[]? validity = offsets.Validity;
        long previous = 0;
        for (var i = 0; i < rows; i++)
        {
            var end = BinaryPrimitives.ReadUInt64LittleEndian(rawEnds.AsSpan(i * 8));
            if (nullAdjustment > 0 && end >= nullAdjustment)
            {
                validity ??= Enumerable.Repeat(true, rows).ToArray();
                validity[i] = false;
                end -= nullAdjustment;
            }
            if (end < (ulong)previous || end > (ulong)data.Length)
                throw new InvalidDataException($"binary offsets are not ascending within the {data.Length} data bytes (row {i} ends at {end})");
            ends[i] = previous = (long)end;
        }
        if (rows > 0 && previous != data.Length) throw new InvalidDataException($"binary offsets end at {previous}, the data buffer holds {data.Length} bytes");
        return new Decoded { Values = data, Ends = ends, Validity = validity };
    }

    /// <summary>Dictionary pages (LanceDB writes them for low-cardinality strings): indices start at 1, 0 means null.</summary>
    private static Decoded DecodeDictionary(ReadOnlySpan<byte> dictionary, byte[][] buffers, int rows)
    {
        ReadOnlySpan<byte> indices = default, items = default;
        var itemCount = 0;
        var reader = new ProtoReader(dictionary);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: indices = reader.Bytes(); break;
                case 2: items = reader.Bytes(); break;
                case 3: itemCount = reader.Count(); break;
                default: reader.Skip(); break;
            }
        }
        var dictionaryItems = DecodeArray(items, buffers, itemCount, 0);
        var rawIndices = DecodeArray(indices, buffers, rows, 0).Values;
        var width = rows == 0 ? 1 : rawIndices.Length / rows;
        if (width is not (1 or 2 or 4 or 8) || rawIndices.Length != width * rows)
            throw new InvalidDataException($"dictionary indices of {rawIndices.Length} bytes do not fit {rows} rows");
        using var data = new MemoryStream();
        var ends = new long[rows];
        bool[]? validity = null;
        for (var i = 0; i < rows; i++)
        {
            var index = width switch
            {
                1 => rawIndices[i],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(rawIndices.AsSpan(i * 2)),
                4 => BinaryPrimitives.ReadUInt32LittleEndian(rawIndices.AsSpan(i * 4)),
                _ => (long)BinaryPrimitives.ReadUInt64LittleEndian(rawIndices.AsSpan(i * 8)),
            };
            if (index == 0)
            {
                validity ??= Enumerable.Repeat(true, rows).ToArray();
                validity[i] = false;
            }
            else if (index < 0 || index > itemCount || dictionaryItems.Ends is null)
                throw new InvalidDataException($"dictionary index {index} is outside the {itemCount} items");
            else
            {
                var item = (int)index - 1;
                var start = item == 0 ? 0 : dictionaryItems.Ends[item - 1];
                data.Write(dictionaryItems.Values, (int)start, (int)(dictionaryItems.Ends[item] - start));
            }
            ends[i] = data.Length;
        }
        return new Decoded { Values = data.ToArray(), Ends = ends, Validity = validity };
    }

    private static ReadOnlySpan<byte> SubMessage(ReadOnlySpan<byte> message, int field)
    {
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            if (reader.Field == field) return reader.Bytes();
            reader.Skip();
        }
        throw new InvalidDataException($"encoding lacks its part {field}");
    }

    public static Column ToColumn(Decoded decoded, int rows, LanceType type)
    {
        if (decoded.AllNull) return ColumnFactory.Nulls(type, rows);
        var validity = decoded.Validity;
        if (decoded.ItemValidity is not null && type.Kind != TypeKind.FixedSizeListFloat32) throw Mismatch(type);
        return type.Kind switch
        {
            TypeKind.Int32 => new Int32Column(Cast<int>(decoded.Values, rows), validity),
            TypeKind.Int64 => new Int64Column(Cast<long>(decoded.Values, rows), validity),
            TypeKind.TimestampMicros => new TimestampColumn(Cast<long>(decoded.Values, rows), validity),
            TypeKind.Float32 => new Float32Column(Cast<float>(decoded.Values, rows), validity),
            TypeKind.Float64 => new Float64Column(Cast<double>(decoded.Values, rows), validity),
            TypeKind.FixedSizeListFloat32 => new FixedSizeListFloat32Column(type.Dimension, Cast<float>(decoded.Values, rows * type.Dimension), validity,
                decoded.ItemValidity),
            TypeKind.Bool => new BoolColumn(Bits(decoded.Values, rows), validity),
            TypeKind.Utf8 => new StringColumn(decoded.Values, decoded.Ends ?? throw Mismatch(type), validity),
            TypeKind.Binary => new BinaryColumn(decoded.Values, decoded.Ends ?? throw Mismatch(type), validity),
            _ => throw Mismatch(type),
        };
    }

    private static bool[] Bits(byte[] bitmap, int count)
    {
        if (bitmap.Length * 8L < count) throw new InvalidDataException($"a bitmap of {bitmap.Length} bytes does not hold {count} bits");
        var bits = new bool[count];
        for (var i = 0; i < count; i++) bits[i] = (bitmap[i >> 3] & (1 << (i & 7))) != 0;
        return bits;
    }

    private static T[] Cast<T>(byte[] bytes, int count) where T : unmanaged
    {
        var values = MemoryMarshal.Cast<byte, T>(bytes.AsSpan());
        if (values.Length < count) throw new InvalidDataException($"a page buffer of {bytes.Length} bytes does not hold {count} values");
        return values[..count].ToArray();
    }

    private static InvalidDataException Mismatch(LanceType type) => new($"page encoding does not match the column type {type}");
}
