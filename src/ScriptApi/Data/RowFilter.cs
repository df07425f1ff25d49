using AiPlatform.Lake.Batches;

namespace AiPlatform.ScriptApi;

/// <summary>Which rows a loader keeps, decided from <see cref="Columns"/> (read for it, not returned).</summary>
public sealed record RowFilter(IReadOnlyList<string> Columns, Func<RecordBatch, int, bool> Keep)
{
    /// <summary>Rows whose string column equals a value, e.g. <c>RowFilter.Equal("split", "train")</c>.</summary>
    public static RowFilter Equal(string column, string value) =>
        new([column], (rows, row) => rows.Column<StringColumn>(column)[row] == value);
}
