namespace AiPlatform.Lake.Format;

/// <summary>One page of one column as stored: where its buffers are, how many rows, and how they are encoded.</summary>
internal sealed record PageInfo(long[] BufferOffsets, long[] BufferSizes, long Rows, byte[] ArrayEncoding, long FirstRow);

internal sealed record ColumnInfo(IReadOnlyList<PageInfo> Pages)
{
    public long Rows => Pages.Sum(p => p.Rows);
}
