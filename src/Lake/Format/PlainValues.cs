namespace AiPlatform.Lake.Format;

/// <summary>
/// A page whose values are one of its buffers exactly as a column's array holds them: fixed-width items of
/// <see cref="ItemBits"/> bits, <see cref="ItemsPerRow"/> to a row, no nulls, no compression. Such a page is read
/// straight into the column's array (<see cref="FixedWidthValues"/>), and a part of it is a part of the buffer.
/// </summary>
internal sealed record PlainValues(int Buffer, int ItemBits, int ItemsPerRow)
{
    /// <summary>
    /// The plain values a v2.0 <c>ArrayEncoding</c> decodes to, read as <see cref="PageDecoder"/> reads it: flat values
    /// under no-null and fixed-size-list layers. Null for anything else, damaged encodings included, which the decoder
    /// then reports.
    /// </summary>
    public static PlainValues? FromArrayEncoding(ReadOnlySpan<byte> encoding)
    {
        try
        {
            return Array(encoding);
        }
        catch (Exception e) when (e is InvalidDataException or OverflowException)
        {
            return null;
        }
    }

    private static PlainValues? Array(ReadOnlySpan<byte> encoding)
    {
        var reader = new ProtoReader(encoding);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case Encodings.Flat: return Flat(reader.Bytes());
                case Encodings.Nullable: return NoNulls(reader.Bytes());
                case Encodings.FixedSizeList: return List(reader.Bytes());
                case Encodings.Binary or Encodings.Dictionary: return null;
                default: reader.Skip(); break;
            }
        }
        return null;
    }

    private static PlainValues? Flat(ReadOnlySpan<byte> flat)
    {
        var (bits, buffer) = Encodings.ReadFlat(flat);
        return bits is > 0 and <= int.MaxValue && bits % 8 == 0 ? new PlainValues(buffer, (int)bits, 1) : null;
    }

    private static PlainValues? NoNulls(ReadOnlySpan<byte> nullable)
    {
        var reader = new ProtoReader(nullable);
        while (reader.Next())
        {
            if (reader.Field != Encodings.NoNulls)
            {
                if (reader.Field is Encodings.SomeNulls or Encodings.AllNulls) return null;
                reader.Skip();
                continue;
            }
            var noNulls = new ProtoReader(reader.Bytes());
            while (noNulls.Next())
                if (noNulls.Field == 1) return Array(noNulls.Bytes());
                else noNulls.Skip();
            return null;
        }
        return null;
    }

    private static PlainValues? List(ReadOnlySpan<byte> list)
    {
        var dimension = 0;
        PlainValues? items = null;
        var reader = new ProtoReader(list);
        while (reader.Next())
        {
            if (reader.Field == 1) dimension = reader.Count();
            else if (reader.Field == 2) items = Array(reader.Bytes());
            else reader.Skip();
        }
        return dimension > 0 && items is not null ? items with { ItemsPerRow = checked(items.ItemsPerRow * dimension) } : null;
    }
}
