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

    /// <summary>Validates a 2.0 page's <c>Encoding</c> and returns its ArrayEncoding bytes.</summary>
    public static byte[] ArrayEncoding(ReadOnlySpan<byte> encoding, int bufferCount, string uri, string column)
    {
        var (typeUrl, value) = Encodings.UnwrapDirect(encoding);
        if (typeUrl != Encodings.ArrayEncodingUrl) throw Unsupported(uri, column, $"page encoding type {typeUrl}");
        Array(value, bufferCount, uri, column);
        return value;
    }

    public static void ColumnEncoding(ReadOnlySpan<byte> encoding, string uri, string column, string version)
    {
        var (typeUrl, value) = Encodings.UnwrapDirect(encoding);
        if (typeUrl != Encodings.ColumnEncodingUrl) throw Unsupported(uri, column, $"column encoding type {typeUrl}", version);
        var reader = new ProtoReader(value);
        while (reader.Next())
        {
            if (reader.Field != 1)
                throw Unsupported(uri, column, reader.Field == 2 ? "zone_index column encoding" : reader.Field == 3 ? "blob column encoding" : $"column encoding #{reader.Field}", version);
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

    /// <summary>Parses a 2.1/2.2 page's <c>PageLayout</c>; whatever <see cref="V21.PageLayout"/> does not fully understand is refused.</summary>
    public static V21.PageLayout PageLayout(ReadOnlySpan<byte> encoding, int bufferCount, string uri, string column, string version)
    {
        var (typeUrl, value) = Encodings.UnwrapDirect(encoding);
        if (typeUrl != V21.PageLayout.TypeUrl) throw Unsupported(uri, column, $"page encoding type {typeUrl}", version);
        try
        {
            return V21.PageLayout.Parse(value, bufferCount);
        }
        catch (NotSupportedException e)
        {
            throw Unsupported(uri, column, e.Message, version);
        }
    }

    private static NotSupportedException Unsupported(string uri, string column, string encoding, string version = "2.0") =>
        new($"{uri}: column '{column}' (Lance file format {version}) uses {encoding}, which this reader does not support");
}
