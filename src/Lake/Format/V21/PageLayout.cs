namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// A 2.1/2.2 page's structural layout (<c>lance.encodings21.PageLayout</c>) as this reader understands it: top-level
/// columns only (no lists, no structs), so a page's rows are its items and its only nulls are row nulls.
/// </summary>
internal abstract class PageLayout
{
    public const string TypeUrl = "/lance.encodings21.PageLayout";

    /// <summary>The page's rows as the column's values; <paramref name="bitsPerItem"/> is 0 for variable-width types.</summary>
    public abstract PageDecoder.Decoded Decode(byte[][] buffers, int rows, int bitsPerItem);

    /// <summary>The buffer that holds the page's <paramref name="rows"/> values as a column's array does, when one does.</summary>
    public virtual PlainValues? Plain(long rows) => null;

    /// <summary>Parses and checks a page layout; everything not understood throws <see cref="NotSupportedException"/> naming it.</summary>
    public static PageLayout Parse(ReadOnlySpan<byte> layout, int bufferCount)
    {
        var reader = new ProtoReader(layout);
        if (!reader.Next()) throw new InvalidDataException("an empty page layout");
        PageLayout parsed = reader.Field switch
        {
            1 => MiniBlockLayout.From(reader.Bytes(), bufferCount),
            2 => AllNullLayout.From(reader.Bytes(), bufferCount),
            3 => FullZipLayout.From(reader.Bytes(), bufferCount),
            4 => throw new NotSupportedException("blob_layout"),
            _ => throw new NotSupportedException($"page layout #{reader.Field}"),
        };
        if (reader.Next()) throw new InvalidDataException("a page layout with two kinds");
        return parsed;
    }

    /// <summary>Items each value holds: a vector's dimension, else 1.</summary>
    protected static int ItemsPerValue(Compression values) => values is FixedSizeList list ? list.Dimension : 1;

    /// <summary>The one definition layer of a top-level column: whether its rows can be null. Lists and structs are refused.</summary>
    protected static bool Nullable(List<ulong> layers) => layers switch
    {
        [AllValidItem] => false,
        [NullableItem] => true,
        [] => throw new InvalidDataException("a page layout without definition layers"),
        _ => throw new NotSupportedException($"definition layers [{string.Join(", ", layers.Select(LayerName))}] (lists or nested fields)"),
    };

    private const ulong AllValidItem = 1, NullableItem = 3;

    private static string LayerName(ulong layer) => layer switch
    {
        1 => "all_valid_item",
        2 => "all_valid_list",
        3 => "nullable_item",
        4 => "nullable_list",
        5 => "emptyable_list",
        6 => "null_and_empty_list",
        _ => $"#{layer}",
    };
}
