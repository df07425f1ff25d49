using System.Buffers.Binary;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Format;

/// <summary>
/// Reads a Lance v2.0 data file through ranged reads: the tail (footer and metadata) once, then only the pages of the
/// columns and rows asked for.
/// </summary>
public sealed class LanceFileReader
{
    private const int TailGuess = 64 * 1024;

    private readonly IObjectStore _store;
    private readonly string _path;
    private readonly IReadOnlyList<ColumnInfo> _columns;

    private LanceFileReader(IObjectStore store, string path, IReadOnlyList<ColumnInfo> columns, long rows)
    {
        _store = store;
        _path = path;
        _columns = columns;
        Rows = rows;
    }

    public long Rows { get; }
    public int ColumnCount => _columns.Count;

    public static async Task<LanceFileReader> OpenAsync(IObjectStore store, string path, long? knownSize = null, CancellationToken ct = default)
    {
        var size = knownSize ?? await store.SizeAsync(path, ct) ?? throw new FileNotFoundException($"data file {store.Uri(path)} is missing");
        var tailStart = Math.Max(0, size - TailGuess);
        var tail = await store.ReadRangeAsync(path, tailStart, (int)(size - tailStart), ct);
        var footer = tail.AsSpan(tail.Length - 40);
        if (!footer[36..].SequenceEqual("LANC"u8)) throw new InvalidDataException($"{store.Uri(path)} is not a Lance file (no LANC magic)");
        var major = BinaryPrimitives.ReadUInt16LittleEndian(footer[32..]);
        var minor = BinaryPrimitives.ReadUInt16LittleEndian(footer[34..]);
        if (!(major == 0 && minor == 3) && major != 2)
            throw new InvalidDataException($"{store.Uri(path)} is Lance file format {major}.{minor}; this reader supports 2.0 (0.3)");
        var metadataStart = (long)BinaryPrimitives.ReadUInt64LittleEndian(footer);
        var columnTable = (long)BinaryPrimitives.ReadUInt64LittleEndian(footer[8..]);
        var globalTable = (long)BinaryPrimitives.ReadUInt64LittleEndian(footer[16..]);
        var columnCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(footer[28..]);

        // The global buffer (schema, row count) sits before the column metadata; fetch everything from it at once.
        var globalEntry = await ReadTailSliceAsync(store, path, tail, tailStart, globalTable, 16, ct);
        var globalPosition = (long)BinaryPrimitives.ReadUInt64LittleEndian(globalEntry);
        var from = Math.Min(globalPosition, metadataStart);
        var metadata = from >= tailStart ? tail.AsMemory((int)(from - tailStart)) : await store.ReadRangeAsync(path, from, (int)(size - from), ct);

        var columns = new List<ColumnInfo>(columnCount);
        for (var c = 0; c < columnCount; c++)
        {
            var entry = metadata.Span[(int)(columnTable - from + c * 16)..];
            var position = (long)BinaryPrimitives.ReadUInt64LittleEndian(entry);
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
            columns.Add(ParseColumn(metadata.Span.Slice((int)(position - from), length)));
        }
        var globalSize = (int)BinaryPrimitives.ReadUInt64LittleEndian(globalEntry.AsSpan(8));
        var rows = ParseRowCount(metadata.Span.Slice((int)(globalPosition - from), globalSize));
        return new LanceFileReader(store, path, columns, rows);
    }

    private static async Task<byte[]> ReadTailSliceAsync(IObjectStore store, string path, byte[] tail, long tailStart, long position, int length,
        CancellationToken ct) =>
        position >= tailStart ? tail.AsSpan((int)(position - tailStart), length).ToArray() : await store.ReadRangeAsync(path, position, length, ct);

    private static ColumnInfo ParseColumn(ReadOnlySpan<byte> bytes)
    {
        var pages = new List<PageInfo>();
        var reader = new ProtoReader(bytes);
        long firstRow = 0;
        while (reader.Next())
        {
            if (reader.Field != 2)
            {
                reader.Skip();
                continue;
            }
            var page = new ProtoReader(reader.Bytes());
            var offsets = new List<ulong>();
            var sizes = new List<ulong>();
            long rows = 0;
            byte[] encoding = [];
            while (page.Next())
            {
                switch (page.Field)
                {
                    case 1: page.Repeated(offsets); break;
                    case 2: page.Repeated(sizes); break;
                    case 3: rows = page.Int64(); break;
                    case 4: encoding = Encodings.UnwrapDirect(page.Bytes()); break;
                    default: page.Skip(); break;
                }
            }
            pages.Add(new PageInfo(offsets.Select(o => (long)o).ToArray(), sizes.Select(s => (long)s).ToArray(), rows, encoding, firstRow));
            firstRow += rows;
        }
        return new ColumnInfo(pages);
    }

    private static long ParseRowCount(ReadOnlySpan<byte> descriptor)
    {
        var reader = new ProtoReader(descriptor);
        while (reader.Next())
        {
            if (reader.Field == 2) return reader.Int64();
            reader.Skip();
        }
        return 0;
    }

    /// <summary>Rows [start, start + count) of one column, reading only the pages that hold them.</summary>
    public async Task<Column> ReadColumnAsync(int columnIndex, LanceType type, long start, int count, CancellationToken ct = default)
    {
        var pages = _columns[columnIndex].Pages.Where(p => p.FirstRow < start + count && p.FirstRow + p.Rows > start).ToList();
        var parts = new List<Column>(pages.Count);
        foreach (var page in pages)
        {
            var buffers = await Task.WhenAll(page.BufferOffsets.Select((offset, i) =>
                _store.ReadRangeAsync(_path, offset, (int)page.BufferSizes[i], ct)));
            var decoded = PageDecoder.Decode(page.ArrayEncoding, buffers, (int)page.Rows, type);
            var from = (int)Math.Max(0, start - page.FirstRow);
            var to = (int)Math.Min(page.Rows, start + count - page.FirstRow);
            parts.Add(from == 0 && to == page.Rows ? decoded : decoded.Slice(from, to - from));
        }
        return ColumnConcat.Concat(type, parts);
    }
}
