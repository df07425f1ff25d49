namespace AiPlatform.Lake.Format;

/// <summary>
/// Checks, when a file is opened, that every page's encoding tree consists only of what <see cref="PageDecoder"/> fully
/// understands, so no value is ever decoded from a page this library would misread. Errors name the file, the column,
/// the file format version and the encoding.
/// </summary>
internal static class EncodingCheck
{
    private static readonly string[] ArrayEncodingNames =
    [
        "", "flat", "nullable", "fixed_size_list", "list", "struct", "binary", "dictionary", "fsst", "packed_struct", "bitpacked",
        "fixed_size_binary", "bitpacked_for_non_neg", "constant", "inline_bitpacking", "out_of_line_bitpacking", "variable",
        "packed_struct_fixed_width_mini_block", "block", "rle", "general_mini_block", "byte_stream_split",
    ];

    private static readonly string[] LayoutNames = ["", "mini_block_layout", "all_null_layout", "full_zip_layout", "blob_layout"];

    private static readonly string[] CompressiveNames =
    [
        "", "flat", "variable", "constant", "out_of_line_bitpacking", "inline_bitpacking", "fsst", "dictionary", "rle",
        "byte_stream_split", "general", "fixed_size_list", "packed_struct", "variable_packed_struct",
    ];

    /// <summary>Validates a 2.0 page's <c>Encoding</c> and returns its ArrayEncoding bytes.</summary>
    public static byte[] ArrayEncoding(ReadOnlySpan<byte> encoding, int bufferCount, string uri, string column)
    {
        var (typeUrl, value) = Encodings.UnwrapDirect(encoding);
        if (typeUrl != Encodings.ArrayEncodingUrl) throw Unsupported(uri, column, $"page encoding type {typeUrl}");
        Array(value, bufferCount, uri, column);
        return value;
    }

    public static void ColumnEncoding(ReadOnlySpan<byte> encoding, string uri, string column)
    {
        var (typeUrl, value) = Encodings.UnwrapDirect(encoding);
        if (typeUrl != Encodings.ColumnEncodingUrl) throw Unsupported(uri, column, $"column encoding type {typeUrl}");
        var reader = new ProtoReader(value);
        while (reader.Next())
        {
            if (reader.Field != 1) throw Unsupported(uri, column, reader.Field == 2 ? "zone_index column encoding" : reader.Field == 3 ? "blob column encoding" : $"column encoding #{reader.Field}");
            reader.Skip();
        }
    }

    private static void Array(ReadOnlySpan<byte> encoding, int bufferCount, string uri, string column)
    {
        var reader = new ProtoReader(encoding);
        if (!reader.Next()) throw new InvalidDataException($"{uri}: column '{column}' has an empty array encoding");
        var body = reader.Bytes();
        switch (reader.Field)
        {
            case Encodings.Flat: Flat(body, bufferCount, uri, column); break;
            case Encodings.Nullable:
            {
                var nullable = new ProtoReader(body);
                if (!nullable.Next()) throw new InvalidDataException($"{uri}: column '{column}' has an empty nullable encoding");
                var kind = nullable.Field;
                var inner = nullable.Bytes();
                if (kind == Encodings.NoNulls) Array(Child(inner, 1, uri, column), bufferCount, uri, column);
                else if (kind == Encodings.SomeNulls)
                {
                    Array(Child(inner, 1, uri, column), bufferCount, uri, column);
                    Array(Child(inner, 2, uri, column), bufferCount, uri, column);
                }
                else if (kind != Encodings.AllNulls) throw Unsupported(uri, column, $"nullable kind #{kind}");
                break;
            }
            case Encodings.FixedSizeList:
                if (Number(body, 1) is 0 or > int.MaxValue) throw new InvalidDataException($"{uri}: column '{column}' has a fixed_size_list without a dimension");
                Array(Child(body, 2, uri, column), bufferCount, uri, column);
                break;
            case Encodings.Binary:
                Array(Child(body, 1, uri, column), bufferCount, uri, column);
                Array(Child(body, 2, uri, column), bufferCount, uri, column);
                break;
            case Encodings.Dictionary:
                Array(Child(body, 1, uri, column), bufferCount, uri, column);
                Array(Child(body, 2, uri, column), bufferCount, uri, column);
                break;
            default:
                throw Unsupported(uri, column, reader.Field < ArrayEncodingNames.Length ? ArrayEncodingNames[reader.Field] : $"array encoding #{reader.Field}");
        }
        if (reader.Next()) throw new InvalidDataException($"{uri}: column '{column}' has an array encoding with two kinds");
    }

    /// <summary>flat {bits_per_value=1, buffer=2 {buffer_index=1, buffer_type=2}, compression=3}: uncompressed page buffers only.</summary>
    private static void Flat(ReadOnlySpan<byte> flat, int bufferCount, string uri, string column)
    {
        var reader = new ProtoReader(flat);
        ulong bits = 0;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: bits = reader.Varint(); break;
                case 2:
                {
                    var buffer = new ProtoReader(reader.Bytes());
                    while (buffer.Next())
                    {
                        if (buffer.Field == 1 && buffer.Varint() is var index && index >= (ulong)bufferCount)
                            throw new InvalidDataException($"{uri}: column '{column}' names page buffer {index} of {bufferCount}");
                        else if (buffer.Field == 2 && buffer.Varint() != 0) throw Unsupported(uri, column, "flat values in a column or file buffer");
                        else if (buffer.Field > 2) buffer.Skip();
                    }
                    break;
                }
                case 3: throw Unsupported(uri, column, "compressed flat values");
                default: reader.Skip(); break;
            }
        }
        if (bits is not (1 or 8 or 16 or 32 or 64)) throw Unsupported(uri, column, $"flat values of {bits} bits");
    }

    private static ReadOnlySpan<byte> Child(ReadOnlySpan<byte> message, int field, string uri, string column)
    {
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            if (reader.Field == field) return reader.Bytes();
            reader.Skip();
        }
        throw new InvalidDataException($"{uri}: column '{column}' has an encoding without its part {field}");
    }

    private static ulong Number(ReadOnlySpan<byte> message, int field)
    {
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            if (reader.Field == field) return reader.Varint();
            reader.Skip();
        }
        return 0;
    }

    /// <summary>Names a 2.1/2.2 column's first page layout and value compression, e.g. "mini_block_layout, values inline_bitpacking".</summary>
    public static string Describe21(ColumnInfo column)
    {
        if (column.Pages.Count == 0) return "no pages";
        try
        {
            var (typeUrl, value) = Encodings.UnwrapDirect(column.Pages[0].ArrayEncoding);
            var layout = new ProtoReader(value);
            if (!layout.Next()) return $"empty {typeUrl}";
            var name = layout.Field < LayoutNames.Length ? LayoutNames[layout.Field] : $"layout #{layout.Field}";
            var valueField = layout.Field switch { 1 => 3, 3 => 7, _ => 0 };
            if (valueField == 0) return $"encoding {name}";
            var inner = new ProtoReader(layout.Bytes());
            while (inner.Next())
            {
                if (inner.Field != valueField)
                {
                    inner.Skip();
                    continue;
                }
                var compression = new ProtoReader(inner.Bytes());
                if (compression.Next())
                    return $"encoding {name}, values {(compression.Field < CompressiveNames.Length ? CompressiveNames[compression.Field] : $"#{compression.Field}")}";
            }
            return $"encoding {name}";
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            return "an encoding that could not be parsed";
        }
    }

    private static NotSupportedException Unsupported(string uri, string column, string encoding) =>
        new($"{uri}: column '{column}' (Lance file format 2.0) uses {encoding}, which this reader does not support");
}
