namespace AiPlatform.Lake.Format;

/// <summary>
/// Builders for Lance v2.0 <c>ArrayEncoding</c> messages (field numbers from the format's encodings.proto) and the
/// <c>Encoding.direct</c> / <c>google.protobuf.Any</c> wrapping that column and page metadata use.
/// </summary>
internal static class Encodings
{
    public const string ArrayEncodingUrl = "/lance.encodings.ArrayEncoding";
    public const string ColumnEncodingUrl = "/lance.encodings.ColumnEncoding";

    // ArrayEncoding oneof fields
    public const int Flat = 1, Nullable = 2, FixedSizeList = 3, Binary = 6, Dictionary = 7;
    // Nullable oneof fields
    public const int NoNulls = 1, SomeNulls = 2, AllNulls = 3;

    public static ProtoWriter FlatOn(int bitsPerValue, int bufferIndex) =>
        new ProtoWriter().Message(Flat, new ProtoWriter()
            .Varint(1, (ulong)bitsPerValue)
            .Message(2, new ProtoWriter().Varint(1, (ulong)bufferIndex)));

    /// <summary>A <c>Flat</c> message as <see cref="FlatOn"/> writes it: bits per value, and the page buffer that holds the values.</summary>
    public static (ulong BitsPerValue, int BufferIndex) ReadFlat(ReadOnlySpan<byte> flat)
    {
        var reader = new ProtoReader(flat);
        var (bits, bufferIndex) = (0UL, 0);
        while (reader.Next())
        {
            if (reader.Field == 1) bits = reader.Varint();
            else if (reader.Field == 2)
            {
                var buffer = new ProtoReader(reader.Bytes());
                while (buffer.Next())
                    if (buffer.Field == 1) bufferIndex = buffer.Count();
                    else buffer.Skip();
            }
            else reader.Skip();
        }
        return (bits, bufferIndex);
    }

    public static ProtoWriter NoNullsOf(ProtoWriter values) =>
        new ProtoWriter().Message(Nullable, new ProtoWriter().Message(NoNulls, new ProtoWriter().Message(1, values)));

    public static ProtoWriter SomeNullsOf(ProtoWriter validity, ProtoWriter values) =>
        new ProtoWriter().Message(Nullable, new ProtoWriter().Message(SomeNulls, new ProtoWriter().Message(1, validity).Message(2, values)));

    public static ProtoWriter FixedSizeListOf(int dimension, ProtoWriter items) =>
        new ProtoWriter().Message(FixedSizeList, new ProtoWriter().Varint(1, (ulong)dimension).Message(2, items));

    public static ProtoWriter BinaryOf(ProtoWriter indices, ProtoWriter bytes, ulong nullAdjustment) =>
        new ProtoWriter().Message(Binary, new ProtoWriter().Message(1, indices).Message(2, bytes).Varint(3, nullAdjustment));

    /// <summary><c>Encoding { direct { encoding: Any { type_url, value } } }</c>.</summary>
    public static ProtoWriter Direct(string typeUrl, byte[] value) =>
        new ProtoWriter().Message(2, new ProtoWriter().Bytes(1, new ProtoWriter().String(1, typeUrl).Bytes(2, value).ToArray()));

    /// <summary>Unwraps <c>Encoding.direct</c>'s Any to its type URL and the encoded message bytes.</summary>
    public static (string TypeUrl, byte[] Value) UnwrapDirect(ReadOnlySpan<byte> encoding)
    {
        var reader = new ProtoReader(encoding);
        while (reader.Next())
        {
            if (reader.Field != 2)
            {
                reader.Skip();
                continue;
            }
            var direct = new ProtoReader(reader.Bytes());
            while (direct.Next())
            {
                if (direct.Field != 1)
                {
                    direct.Skip();
                    continue;
                }
                var any = new ProtoReader(direct.Bytes());
                var typeUrl = "";
                byte[] value = [];
                while (any.Next())
                {
                    if (any.Field == 1) typeUrl = any.String();
                    else if (any.Field == 2) value = any.Bytes().ToArray();
                    else any.Skip();
                }
                return (typeUrl, value);
            }
        }
        throw new NotSupportedException("the encoding is not stored directly in the metadata (indirect encodings are not supported)");
    }
}
