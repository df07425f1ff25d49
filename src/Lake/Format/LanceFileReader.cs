using System.Buffers.Binary;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Format;

/// <summary>
/// Reads a Lance data file (file format 2.0, 2.1 or 2.2) through ranged reads: the tail (footer and metadata) once, then only the pages of the
/// columns and rows asked for. Everything the reader cannot decode is refused when the file is opened, naming the file,
/// the column, the format version and the encoding; metadata that does not add up is refused as corrupt.
/// </summary>
public sealed class LanceFileReader
{
    private const int TailGuess = 64 * 1024;
    private const int FooterBytes = 40;

    private readonly IObjectStore _store;
    private readonly string _path;
    private readonly IReadOnlyList<ColumnInfo> _columns;

    public const string ReadableVersions = "2.0, 2.1 and 2.2";

    public static bool Readable(string fileVersion) => fileVersion is "2.0" or "2.1" or "2.2";

    private LanceFileReader(IObjectStore store, string path, IReadOnlyList<ColumnInfo> columns, long rows, string fileVersion)
    {
        FileVersion = fileVersion;
        _store = store;
        _path = path;
        _columns = columns;
        Rows = rows;
    }

    public long Rows { get; }

    /// <summary>The file format version as manifests record it ("2.0" for files whose footer says 0.3).</summary>
    public string FileVersion { get; }
    public int ColumnCount => _columns.Count;
    public string Uri => _store.Uri(_path);

    public static async Task<LanceFileReader> OpenAsync(IObjectStore store, string path, long? knownSize = null, CancellationToken ct = default)
    {
        var size = knownSize ?? await store.SizeAsync(path, ct) ?? throw new FileNotFoundException($"data file {store.Uri(path)} is missing");
        if (size < FooterBytes) throw new InvalidDataException($"{store.Uri(path)} has {size} bytes, too few for a Lance file");
        var tailStart = Math.Max(0, size - TailGuess);
        byte[] tail;
        try
        {
            tail = await store.ReadRangeAsync(path, tailStart, (int)(size - tailStart), ct);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{store.Uri(path)} is shorter than the {size} bytes the manifest records", e);
        }
        try
        {
            return await ParseAsync(store, path, size, tail, tailStart, ct);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or OverflowException or EndOfStreamException)
        {
            throw new InvalidDataException($"{store.Uri(path)} is corrupt: {e.Message}", e);
        }
    }

    private static async Task<LanceFileReader> ParseAsync(IObjectStore store, string path, long size, byte[] tail, long tailStart, CancellationToken ct)
    {
        var footer = tail.AsSpan(tail.Length - FooterBytes);
        if (!footer[36..].SequenceEqual("LANC"u8)) throw new InvalidDataException("no LANC magic: not a Lance file");
        var major = BinaryPrimitives.ReadUInt16LittleEndian(footer[32..]);
        var minor = BinaryPrimitives.ReadUInt16LittleEndian(footer[34..]);
        var version = major == 0 && minor == 3 ? "2.0" : $"{major}.{minor}";
        if (!Readable(version)) throw new NotSupportedException($"{store.Uri(path)} is Lance file format {version}; this reader supports file formats {ReadableVersions}");
        var metadataStart = BinaryPrimitives.ReadInt64LittleEndian(footer);
        var columnTable = BinaryPrimitives.ReadInt64LittleEndian(footer[8..]);
        var globalTable = BinaryPrimitives.ReadInt64LittleEndian(footer[16..]);
        var globalBufferCount = BinaryPrimitives.ReadUInt32LittleEndian(footer[24..]);
        var columnCount = BinaryPrimitives.ReadUInt32LittleEndian(footer[28..]);
        var metadataEnd = size - FooterBytes;
        if (metadataStart < 0 || metadataStart > columnTable || columnTable + 16L * columnCount != globalTable
            || globalBufferCount == 0 || globalTable + 16L * globalBufferCount != metadataEnd)
            throw new InvalidDataException(
                $"footer tables do not fit together (column metadata at {metadataStart}, column table at {columnTable} for {columnCount} columns, global table at {globalTable} for {globalBufferCount} buffers, file size {size})");

        // The global buffer (schema, row count) sits before the column metadata; fetch everything from it at once.
        var globalEntry = await SliceAsync(store, path, tail, tailStart, globalTable, 16, ct);
        var globalPosition = BinaryPrimitives.ReadInt64LittleEndian(globalEntry);
        var globalSize = BinaryPrimitives.ReadInt64LittleEndian(globalEntry.AsSpan(8));
        if (globalPosition < 0 || globalSize < 0 || globalPosition + globalSize > metadataStart)
            throw new InvalidDataException($"global buffer ({globalPosition}, {globalSize} bytes) is outside the metadata region");
        var from = Math.Min(globalPosition, metadataStart);
        var metadata = from >= tailStart ? tail.AsMemory((int)(from - tailStart)) : await store.ReadRangeAsync(path, from, (int)(size - from), ct);

        var (names, rows) = ParseDescriptor(metadata.Span.Slice((int)(globalPosition - from), (int)globalSize));
        string ColumnName(int c) => names.Count == columnCount ? names[c].Name : $"#{c}";
        var columns = new List<ColumnInfo>((int)columnCount);
        for (var c = 0; c < columnCount; c++)
        {
            var entry = metadata.Span[(int)(columnTable - from + c * 16)..];
            var position = BinaryPrimitives.ReadInt64LittleEndian(entry);
            var length = BinaryPrimitives.ReadInt64LittleEndian(entry[8..]);
            if (position < metadataStart || length < 0 || position + length > columnTable)
                throw new InvalidDataException($"column '{ColumnName(c)}' metadata ({position}, {length} bytes) is outside the column metadata region");
            var column = ParseColumn(ColumnName(c), metadata.Span.Slice((int)(position - from), (int)length), store.Uri(path), version)
                with { LogicalType = names.Count == columnCount ? names[c].LogicalType : null };
            if (column.Rows != rows) throw new InvalidDataException($"column '{column.Name}' has {column.Rows} rows in its pages, the file {rows}");
            columns.Add(column);
        }
        CheckBufferLayout(columns, globalPosition, metadataStart);
        return new LanceFileReader(store, path, columns, rows, version);
    }

    /// <summary>Page buffers lie inside the data region and never overlap: a corrupted offset cannot point at other data.</summary>
    private static void CheckBufferLayout(List<ColumnInfo> columns, long globalPosition, long metadataStart)
    {
        var buffers = columns.SelectMany(c => c.Pages.SelectMany(p => p.BufferOffsets.Select((o, i) => (Column: c.Name, Offset: o, Size: p.BufferSizes[i]))))
            .Where(b => b.Size > 0).OrderBy(b => b.Offset).ToList();
        var end = 0L;
        foreach (var buffer in buffers)
        {
            if (buffer.Offset < end || buffer.Size < 0 || buffer.Offset + buffer.Size > Math.Min(globalPosition, metadataStart))
                throw new InvalidDataException($"column '{buffer.Column}' has a page buffer ({buffer.Offset}, {buffer.Size} bytes) that overlaps other data or lies outside the data region");
            end = buffer.Offset + buffer.Size;
        }
    }

    private static async Task<byte[]> SliceAsync(IObjectStore store, string path, byte[] tail, long tailStart, long position, int length,
        CancellationToken ct) =>
        position >= tailStart ? tail.AsSpan((int)(position - tailStart), length).ToArray() : await store.ReadRangeAsync(path, position, length, ct);

    private static ColumnInfo ParseColumn(string name, ReadOnlySpan<byte> bytes, string uri, string version)
    {
        var pages = new List<PageInfo>();
        var reader = new ProtoReader(bytes);
        long firstRow = 0;
        while (reader.Next())
        {
            if (reader.Field == 1)
            {
                EncodingCheck.ColumnEncoding(reader.Bytes(), uri, name, version);
                continue;
            }
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
                    case 4: encoding = page.Bytes().ToArray(); break;
                    default: page.Skip(); break;
                }
            }
            if (offsets.Count != sizes.Count) throw new InvalidDataException($"column '{name}' has a page with {offsets.Count} buffer offsets but {sizes.Count} sizes");
            if (rows < 0 || offsets.Any(o => o > long.MaxValue) || sizes.Any(s => s > int.MaxValue))
                throw new InvalidDataException($"column '{name}' has a page with out-of-range rows or buffers");
            V21.PageLayout? layout = null;
            if (version == "2.0") encoding = EncodingCheck.ArrayEncoding(encoding, offsets.Count, uri, name);
            else layout = EncodingCheck.PageLayout(encoding, offsets.Count, uri, name, version);
            pages.Add(new PageInfo(offsets.Select(o => (long)o).ToArray(), sizes.Select(s => (long)s).ToArray(), rows, encoding, firstRow)
            {
                Layout = layout,
                Plain = layout is null ? PlainValues.FromArrayEncoding(encoding) : layout.Plain(rows),
            });
            firstRow += rows;
        }
        return new ColumnInfo(name, pages);
    }

    /// <summary>lance.file.FileDescriptor: the top-level field names of the file's schema and its row count.</summary>
    private static (List<(string Name, string LogicalType)> Names, long Rows) ParseDescriptor(ReadOnlySpan<byte> descriptor)
    {
        var reader = new ProtoReader(descriptor);
        var names = new List<(string, string)>();
        long rows = -1;
        while (reader.Next())
        {
            if (reader.Field == 2) rows = reader.Int64();
            else if (reader.Field == 1)
            {
                var schema = new ProtoReader(reader.Bytes());
                while (schema.Next())
                {
                    if (schema.Field != 1)
                    {
                        schema.Skip();
                        continue;
                    }
                    var field = new ProtoReader(schema.Bytes());
                    string name = "", logicalType = "";
                    long parent = -1;
                    while (field.Next())
                    {
                        if (field.Field == 2) name = field.String();
                        else if (field.Field == 5) logicalType = field.String();
                        else if (field.Field == 4) parent = field.Int64();
                        else field.Skip();
                    }
                    if ((int)parent == -1) names.Add((name, logicalType));
                }
            }
            else reader.Skip();
        }
        if (rows < 0) throw new InvalidDataException("the file descriptor has no row count");
        return (names, rows);
    }

    /// <summary>Rows [start, start + count) of one column, reading only the pages that hold them.</summary>
    /// <summary>The first row of each of the column's pages, in order.</summary>
    internal IEnumerable<long> PageStarts(int columnIndex) =>
        columnIndex >= 0 && columnIndex < _columns.Count
            ? _columns[columnIndex].Pages.Select(page => page.FirstRow)
            : throw new InvalidDataException($"{Uri} has {_columns.Count} columns; the manifest names column {columnIndex}");

    public Task<Column> ReadColumnAsync(int columnIndex, LanceType type, long start, int count, CancellationToken ct = default) =>
        ReadColumnAsync(columnIndex, type, start, count, null, ct);

    internal async Task<Column> ReadColumnAsync(int columnIndex, LanceType type, long start, int count, DecodedPages? decodedPages,
        CancellationToken ct)
    {
        if (columnIndex < 0 || columnIndex >= _columns.Count)
            throw new InvalidDataException($"{Uri} has {_columns.Count} columns; the manifest names column {columnIndex}");
        if (start < 0 || start + count > Rows) throw new ArgumentOutOfRangeException(nameof(start), $"rows {start}..{start + count} are outside {Uri} ({Rows} rows)");
        var column = _columns[columnIndex];
        if (column.LogicalType is { } stored && !SameKind(stored, type))
            throw new InvalidDataException($"{Uri}: column {columnIndex} ('{column.Name}') holds {stored}, the table reads it as {type}");
        var pages = column.Pages.Where(p => p.FirstRow < start + count && p.FirstRow + p.Rows > start).ToList();
        if (pages.Count > 0 && pages.All(p => PlainBuffer(p, type) is not null))
            return await ReadPlainAsync(column, pages, type, start, count, decodedPages, ct);
        var decoded = await Task.WhenAll(pages.Select(page => decodedPages is null
            ? DecodeAsync(column, page, type, ct)
            : decodedPages.GetAsync(column, page, start, p => DecodeAsync(column, p, type, ct))));
        var parts = new List<Column>(pages.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            var page = pages[i];
            var from = (int)Math.Max(0, start - page.FirstRow);
            var to = (int)Math.Min(page.Rows, start + count - page.FirstRow);
            parts.Add(from == 0 && to == page.Rows ? decoded[i] : decoded[i].Slice(from, to - from));
        }
        return parts.Count == 0 ? ColumnFactory.Empty(type) : ColumnConcat.Concat(type, parts);
    }

    /// <summary>The page's buffer that holds its values as the column's array does, when it has one of the size its rows take.</summary>
    private static int? PlainBuffer(PageInfo page, LanceType type)
    {
        var rowBytes = FixedWidthValues.RowBytes(type);
        return rowBytes > 0 && page.Plain is { } plain && plain.ItemBits == type.BitWidth && plain.ItemsPerRow == FixedWidthValues.ItemsPerRow(type)
               && plain.Buffer < page.BufferSizes.Length && page.BufferSizes[plain.Buffer] == page.Rows * rowBytes
            ? plain.Buffer
            : null;
    }

    /// <summary>
    /// Rows [start, start + count) of plain pages, each page's share read concurrently into its place in one array. A
    /// scan shares the pages its batches have in common (unless ranged reads are cheap: then each batch reads its own
    /// rows), and reads the pages a batch covers whole straight into it.
    /// </summary>
    private async Task<Column> ReadPlainAsync(ColumnInfo column, IReadOnlyList<PageInfo> pages, LanceType type, long start, int count, DecodedPages? scan,
        CancellationToken ct)
    {
        var values = FixedWidthValues.Allocate(type, count);
        var bytes = FixedWidthValues.Bytes(values);
        var rowBytes = FixedWidthValues.RowBytes(type);
        await Task.WhenAll(pages.Select(async page =>
        {
            var from = Math.Max(start, page.FirstRow);
            var to = Math.Min(start + count, page.FirstRow + page.Rows);
            var target = bytes.Slice(checked((int)((from - start) * rowBytes)), checked((int)((to - from) * rowBytes)));
            var wholePage = from == page.FirstRow && to == page.FirstRow + page.Rows;
            if (scan is null || _store.RangedReadsAreCheap || (wholePage && !scan.Holds(column, page)))
            {
                await _store.ReadRangeIntoAsync(_path, page.BufferOffsets[PlainBuffer(page, type)!.Value] + (from - page.FirstRow) * rowBytes, target, ct);
                return;
            }
            var shared = await scan.GetAsync(column, page, start, p => DecodeAsync(column, p, type, ct));
            FixedWidthValues.Bytes(FixedWidthValues.ArrayOf(shared)).Slice(checked((int)((from - page.FirstRow) * rowBytes)), target.Length).CopyTo(target);
        }));
        return FixedWidthValues.ToColumn(type, values);
    }

    /// <summary>The file's own schema agrees with the table's type (large and zoned variants read alike).</summary>
    private static bool SameKind(string stored, LanceType type)
    {
        try
        {
            return LanceType.Parse(stored) == type;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    private Task<Column> DecodeAsync(ColumnInfo column, PageInfo page, LanceType type, CancellationToken ct) =>
        PlainBuffer(page, type) is null
            ? DecodeBuffersAsync(column, page, type, ct)
            : ReadPlainAsync(column, [page], type, page.FirstRow, checked((int)page.Rows), null, ct);

    private async Task<Column> DecodeBuffersAsync(ColumnInfo column, PageInfo page, LanceType type, CancellationToken ct)
    {
        var buffers = await Task.WhenAll(page.BufferOffsets.Select((offset, i) => _store.ReadRangeAsync(_path, offset, (int)page.BufferSizes[i], ct)));
        Column decoded;
        try
        {
            var rows = checked((int)page.Rows);
            decoded = page.Layout is { } layout
                ? PageDecoder.ToColumn(layout.Decode(buffers, rows, PageDecoder.BitsOf(type)), rows, type)
                : PageDecoder.Decode(page.ArrayEncoding, buffers, rows, type);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"{Uri}: column '{column.Name}', page at row {page.FirstRow}: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{Uri}: column '{column.Name}' (Lance file format {FileVersion}), page at row {page.FirstRow}, uses {e.Message}, which this reader does not support", e);
        }
        return decoded;
    }
}
