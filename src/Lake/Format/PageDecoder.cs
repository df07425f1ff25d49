using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using AiPlatform.Lake.Batches;

namespace AiPlatform.Lake.Format;

/// <summary>Decodes one page's buffers through its (possibly nested) v2.0 ArrayEncoding into a typed column.</summary>
internal static class PageDecoder
{
    /// <summary>What an encoding layer yields before it becomes a typed column.</summary>
    private sealed class Decoded
    {
        public byte[] Values = [];
        public bool[]? Validity;
        public long[]? Ends;
    }

    public static Column Decode(byte[] encoding, byte[][] buffers, int rows, LanceType type)
    {
        var decoded = DecodeArray(encoding, buffers, rows);
        return ToColumn(decoded, rows, type);
    }

    private static Decoded DecodeArray(ReadOnlySpan<byte> encoding, byte[][] buffers, int rows)
    {
        var reader = new ProtoReader(encoding);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case Encodings.Flat: return DecodeFlat(reader.Bytes(), buffers);
                case Encodings.Nullable: return DecodeNullable(reader.Bytes(), buffers, rows);
                case Encodings.FixedSizeList: return DecodeFixedSizeList(reader.Bytes(), buffers, rows);
                case Encodings.Binary: return DecodeBinary(reader.Bytes(), buffers, rows);
                case Encodings.Dictionary: return DecodeDictionary(reader.Bytes(), buffers, rows);
                default: reader.Skip(); break;
            }
        }
        throw new NotSupportedException("page uses a Lance encoding this reader does not support (expected flat, nullable, fixed_size_list, binary or dictionary)");
    }

    private static Decoded DecodeFlat(ReadOnlySpan<byte> flat, byte[][] buffers)
    {
        var reader = new ProtoReader(flat);
        var bufferIndex = 0;
        while (reader.Next())
        {
            if (reader.Field == 2)
            {
                var buffer = new ProtoReader(reader.Bytes());
                while (buffer.Next())
                    if (buffer.Field == 1) bufferIndex = (int)buffer.Varint();
                    else buffer.Skip();
            }
            else reader.Skip();
        }
        return new Decoded { Values = buffers[bufferIndex] };
    }

    private static Decoded DecodeNullable(ReadOnlySpan<byte> nullable, byte[][] buffers, int rows)
    {
        var reader = new ProtoReader(nullable);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case Encodings.NoNulls:
                    return DecodeArray(SubMessage(reader.Bytes(), 1), buffers, rows);
                case Encodings.SomeNulls:
                {
                    var someNulls = reader.Bytes();
                    var values = DecodeArray(SubMessage(someNulls, 2), buffers, rows);
                    var validity = DecodeArray(SubMessage(someNulls, 1), buffers, rows).Values;
                    values.Validity = Enumerable.Range(0, rows).Select(i => (validity[i >> 3] & (1 << (i & 7))) != 0).ToArray();
                    return values;
                }
                case Encodings.AllNulls:
                    return new Decoded { Values = new byte[rows * 8], Validity = new bool[rows], Ends = new long[rows] };
                default:
                    reader.Skip();
                    break;
            }
        }
        throw new InvalidDataException("empty nullable encoding");
    }

    private static Decoded DecodeFixedSizeList(ReadOnlySpan<byte> list, byte[][] buffers, int rows)
    {
        var dimension = 0;
        ReadOnlySpan<byte> items = default;
        var reader = new ProtoReader(list);
        while (reader.Next())
        {
            if (reader.Field == 1) dimension = (int)reader.Varint();
            else if (reader.Field == 2) items = reader.Bytes();
            else reader.Skip();
        }
        return DecodeArray(items, buffers, rows * dimension);
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
        var rawEnds = DecodeArray(indices, buffers, rows).Values;
        var data = DecodeArray(bytes, buffers, 0).Values;
        var ends = new long[rows];
        bool[]? validity = null;
        for (var i = 0; i < rows; i++)
        {
            var end = BinaryPrimitives.ReadUInt64LittleEndian(rawEnds.AsSpan(i * 8));
            if (nullAdjustment > 0 && end >= nullAdjustment)
            {
                validity ??= Enumerable.Repeat(true, rows).ToArray();
                validity[i] = false;
                end -= nullAdjustment;
            }
            ends[i] = (long)end;
        }
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
                case 3: itemCount = (int)reader.Varint(); break;
                default: reader.Skip(); break;
            }
        }
        var dictionaryItems = DecodeArray(items, buffers, itemCount);
        var rawIndices = DecodeArray(indices, buffers, rows).Values;
        var width = rows == 0 ? 1 : rawIndices.Length / rows;
        using var data = new MemoryStream();
        var ends = new long[rows];
        bool[]? validity = null;
        for (var i = 0; i < rows; i++)
        {
            var index = width switch
            {
                1 => rawIndices[i],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(rawIndices.AsSpan(i * 2)),
                4 => (long)BinaryPrimitives.ReadUInt32LittleEndian(rawIndices.AsSpan(i * 4)),
                _ => (long)BinaryPrimitives.ReadUInt64LittleEndian(rawIndices.AsSpan(i * 8)),
            };
            if (index == 0)
            {
                validity ??= Enumerable.Repeat(true, rows).ToArray();
                validity[i] = false;
            }
            else
            {
                var item = (int)index - 1;
                var start = item == 0 ? 0 : dictionaryItems.Ends![item - 1];
                data.Write(dictionaryItems.Values, (int)start, (int)(dictionaryItems.Ends![item] - start));
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
        return default;
    }

    private static Column ToColumn(Decoded decoded, int rows, LanceType type)
    {
        var validity = decoded.Validity;
        return type.Kind switch
        {
            TypeKind.Int32 => new Int32Column(Cast<int>(decoded.Values, rows), validity),
            TypeKind.Int64 => new Int64Column(Cast<long>(decoded.Values, rows), validity),
            TypeKind.TimestampMicros => new TimestampColumn(Cast<long>(decoded.Values, rows), validity),
            TypeKind.Float32 => new Float32Column(Cast<float>(decoded.Values, rows), validity),
            TypeKind.Float64 => new Float64Column(Cast<double>(decoded.Values, rows), validity),
            TypeKind.FixedSizeListFloat32 => new FixedSizeListFloat32Column(type.Dimension, Cast<float>(decoded.Values, rows * type.Dimension), validity),
            TypeKind.Bool => new BoolColumn(Enumerable.Range(0, rows).Select(i => (decoded.Values[i >> 3] & (1 << (i & 7))) != 0).ToArray(), validity),
            TypeKind.Utf8 => new StringColumn(decoded.Values, decoded.Ends ?? throw Mismatch(type), validity),
            TypeKind.Binary => new BinaryColumn(decoded.Values, decoded.Ends ?? throw Mismatch(type), validity),
            _ => throw Mismatch(type),
        };
    }

    private static T[] Cast<T>(byte[] bytes, int count) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(bytes.AsSpan())[..count].ToArray();

    private static InvalidDataException Mismatch(LanceType type) => new($"page encoding does not match the column type {type}");
}
