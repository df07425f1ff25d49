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
/// The pages a scan has decoded, or is decoding, per column of a file: consecutive batches that fall in the same page share
/// it instead of fetching and decoding it again, so a scan in small batches costs what one whole read costs. The pages
/// after the one asked for are fetched ahead, so a remote store's latency overlaps the batches being consumed.
/// </summary>
internal sealed class DecodedPages
{
    private const long ReadAheadBytes = 64L * 1024 * 1024;

    private readonly Dictionary<ColumnInfo, List<(PageInfo Page, Task<Batches.Column> Values)>> _pages = new(ReferenceEqualityComparer.Instance);

    /// <summary>The page, decoded once; pages wholly before row <paramref name="scanAt"/> are let go, as a scan only moves on.</summary>
    public Task<Batches.Column> GetAsync(ColumnInfo column, PageInfo page, long scanAt, Func<PageInfo, Task<Batches.Column>> decode)
    {
        lock (_pages)
        {
            if (!_pages.TryGetValue(column, out var kept)) _pages[column] = kept = [];
            kept.RemoveAll(k => k.Page.FirstRow + k.Page.Rows <= scanAt);
            var values = Start(kept, page, decode);
            // The pages after it are fetched once it has arrived: until then it has the connection to itself.
            if (values.IsCompleted) ReadAhead(kept, column, page, decode);
            else
                values.ContinueWith(_ =>
                {
                    lock (_pages) ReadAhead(kept, column, page, decode);
                }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            return values;
        }
    }

    private static void ReadAhead(List<(PageInfo Page, Task<Batches.Column> Values)> kept, ColumnInfo column, PageInfo page,
        Func<PageInfo, Task<Batches.Column>> decode)
    {
        long ahead = 0;
        for (var next = IndexOf(column.Pages, page) + 1; next < column.Pages.Count && ahead < ReadAheadBytes; next++)
        {
            Start(kept, column.Pages[next], decode);
            ahead += column.Pages[next].BufferSizes.Sum();
        }
    }

    /// <summary>Whether the scan holds the page already (decoded or on its way).</summary>
    public bool Holds(ColumnInfo column, PageInfo page)
    {
        lock (_pages) return _pages.TryGetValue(column, out var kept) && kept.Exists(k => ReferenceEquals(k.Page, page));
    }

    private static Task<Batches.Column> Start(List<(PageInfo Page, Task<Batches.Column> Values)> kept, PageInfo page, Func<PageInfo, Task<Batches.Column>> decode)
    {
        foreach (var (keptPage, values) in kept)
            if (ReferenceEquals(keptPage, page)) return values;
        // Run off the lock: a decode's first steps (allocating, opening the file) are synchronous.
        var started = Task.Run(() => decode(page));
        kept.Add((page, started));
        return started;
    }

    private static int IndexOf(IReadOnlyList<PageInfo> pages, PageInfo page)
    {
        for (var i = 0; i < pages.Count; i++)
            if (ReferenceEquals(pages[i], page)) return i;
        return pages.Count;
    }
}
