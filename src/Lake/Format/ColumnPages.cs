namespace AiPlatform.Lake.Format;

/// <summary>One page of one column as stored: where its buffers are, how many rows, and how they are encoded.</summary>
internal sealed record PageInfo(long[] BufferOffsets, long[] BufferSizes, long Rows, byte[] ArrayEncoding, long FirstRow)
{
    /// <summary>The checked layout of a 2.1/2.2 page; null for a 2.0 page, whose <see cref="ArrayEncoding"/> says how to decode it.</summary>
    public V21.PageLayout? Layout { get; init; }

    /// <summary>The buffer holding the page's values as a column's array does, when one does (see <see cref="PlainValues"/>).</summary>
    public PlainValues? Plain { get; init; }
}

internal sealed record ColumnInfo(string Name, IReadOnlyList<PageInfo> Pages)
{
    /// <summary>The column's type as the file's own schema records it, when the file's fields map one to one on its columns.</summary>
    public string? LogicalType { get; init; }

    public long Rows => Pages.Sum(p => p.Rows);
}

/// <summary>
/// The page a scan decoded last, per file column: consecutive batches that fall in the same page slice it instead of
/// fetching and decoding it again, so a scan in small batches costs what one whole read costs.
/// </summary>
internal sealed class DecodedPages
{
    private readonly Dictionary<(LanceFileReader File, int Column), (PageInfo Page, Batches.Column Values)> _last = new();

    public bool TryGet(LanceFileReader file, int column, PageInfo page, out Batches.Column values)
    {
        lock (_last)
        {
            if (_last.TryGetValue((file, column), out var entry) && ReferenceEquals(entry.Page, page))
            {
                values = entry.Values;
                return true;
            }
        }
        values = null!;
        return false;
    }

    /// <summary>A batch decodes its pages concurrently; the one furthest along is the one the next batch may need.</summary>
    public void Keep(LanceFileReader file, int column, PageInfo page, Batches.Column values)
    {
        lock (_last)
            if (!_last.TryGetValue((file, column), out var kept) || kept.Page.FirstRow <= page.FirstRow)
                _last[(file, column)] = (page, values);
    }
}
