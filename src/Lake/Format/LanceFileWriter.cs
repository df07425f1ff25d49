using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using AiPlatform.Lake.Batches;

namespace AiPlatform.Lake.Format;

/// <summary>
/// Writes one Lance v2.0 data file (footer version 0.3) to a stream. Columns are buffered per page and written out as
/// each page fills, so memory holds about one page per column whatever the file's size.
/// </summary>
public sealed class LanceFileWriter
{
    public const ushort MajorVersion = 0;
    public const ushort MinorVersion = 3;
    private const int Alignment = 64;
    private const long PageBytes = 8L * 1024 * 1024;

    private readonly Stream _output;
    private readonly Schema _schema;
    private readonly List<Column>[] _pending;
    private readonly long[] _pendingBytes;
    private readonly long[] _rowsWritten;
    private readonly List<PageInfo>[] _pages;

    public LanceFileWriter(Stream output, Schema schema)
    {
        _output = output;
        _schema = schema;
        var n = schema.Fields.Count;
        _pending = Enumerable.Range(0, n).Select(_ => new List<Column>()).ToArray();
        _pendingBytes = new long[n];
        _rowsWritten = new long[n];
        _pages = Enumerable.Range(0, n).Select(_ => new List<PageInfo>()).ToArray();
    }

    public long Rows { get; private set; }

    public void Write(RecordBatch batch)
    {
        if (!batch.Schema.SameAs(_schema)) throw new ArgumentException("the batch's schema differs from the file's");
        for (var c = 0; c < batch.Columns.Count; c++)
        {
            var column = batch.Columns[c];
            _pending[c].Add(column);
            _pendingBytes[c] += EstimatedBytes(column);
            if (_pendingBytes[c] >= PageBytes) FlushPage(c);
        }
        Rows += batch.Length;
    }

    /// <summary>Writes the remaining pages, the metadata and the footer; returns the file's size.</summary>
    public long Finish()
    {
        for (var c = 0; c < _pending.Length; c++) FlushPage(c);

        var descriptor = new ProtoWriter()
            .Message(1, SchemaMessage(_schema))
            .Varint(2, (ulong)Rows);
        var globalBuffer = WriteBuffer(descriptor.ToArray());

        var columnMetadataStart = _output.Position;
        var columnPositions = new List<(long Position, long Size)>();
        foreach (var pages in _pages)
        {
            var metadata = new ProtoWriter().Message(1, Encodings.Direct(Encodings.ColumnEncodingUrl, [0x0a, 0x00]));
            foreach (var page in pages)
                metadata.Message(2, new ProtoWriter()
                    .Packed(1, page.BufferOffsets.Select(o => (ulong)o))
                    .Packed(2, page.BufferSizes.Select(s => (ulong)s))
                    .Varint(3, (ulong)page.Rows)
                    .Message(4, Encodings.Direct(Encodings.ArrayEncodingUrl, page.ArrayEncoding))
                    .Varint(5, (ulong)page.FirstRow));
            var bytes = metadata.ToArray();
            columnPositions.Add((_output.Position, bytes.Length));
            _output.Write(bytes);
        }

        var columnTable = _output.Position;
        foreach (var (position, size) in columnPositions)
        {
            LittleEndian.WriteUInt64(_output, (ulong)position);
            LittleEndian.WriteUInt64(_output, (ulong)size);
        }
        var globalTable = _output.Position;
        LittleEndian.WriteUInt64(_output, (ulong)globalBuffer.Position);
        LittleEndian.WriteUInt64(_output, (ulong)globalBuffer.Size);

        Span<byte> footer = stackalloc byte[40];
        BinaryPrimitives.WriteUInt64LittleEndian(footer, (ulong)columnMetadataStart);
        BinaryPrimitives.WriteUInt64LittleEndian(footer[8..], (ulong)columnTable);
        BinaryPrimitives.WriteUInt64LittleEndian(footer[16..], (ulong)globalTable);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[24..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[28..], (uint)_pages.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(footer[32..], MajorVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(footer[34..], MinorVersion);
        "LANC"u8.CopyTo(footer[36..]);
        _output.Write(footer);
        _output.Flush();
        return _output.Position;
    }

    /// <summary>lance.file.Schema: the fields (flat, with parent ids) as the file's global buffer describes them.</summary>
    internal static ProtoWriter SchemaMessage(Schema schema)
    {
        var message = new ProtoWriter();
        for (var i = 0; i < schema.Fields.Count; i++) message.Message(1, FieldMessage(schema.Fields[i], i));
        return message;
    }

    internal static ProtoWriter FieldMessage(Field field, int id) =>
        new ProtoWriter()
            .String(2, field.Name)
            .Int(3, id)
            .Int(4, -1)
            .String(5, field.Type.LogicalType)
            .Bool(6, field.Nullable)
            .Varint(7, field.Type.IsVariableWidth ? 2UL : 1UL);

    private void FlushPage(int c)
    {
        var columns = _pending[c];
        if (columns.Count == 0) return;
        var rows = columns.Sum(col => (long)col.Length);
        var (encoding, buffers) = EncodePage(_schema.Fields[c].Type, columns);
        var offsets = new long[buffers.Count];
        var sizes = new long[buffers.Count];
        for (var b = 0; b < buffers.Count; b++) (offsets[b], sizes[b]) = WriteBuffer(buffers[b]);
        _pages[c].Add(new PageInfo(offsets, sizes, rows, encoding, _rowsWritten[c]));
        _rowsWritten[c] += rows;
        columns.Clear();
        _pendingBytes[c] = 0;
    }

    private (long Position, long Size) WriteBuffer(ReadOnlySpan<byte> bytes)
    {
        var padding = (int)((Alignment - _output.Position % Alignment) % Alignment);
        if (padding > 0) _output.Write(stackalloc byte[padding]);
        var position = _output.Position;
        _output.Write(bytes);
        return (position, bytes.Length);
    }

    private static (byte[] Encoding, List<byte[]> Buffers) EncodePage(LanceType type, List<Column> columns)
    {
        var rows = columns.Sum(c => c.Length);
        var hasNulls = columns.Any(c => c.NullCount > 0);
        var buffers = new List<byte[]>();
        if (type.IsVariableWidth)
        {
            var (ends, data, nullAdjustment) = VariableWidth(columns);
            buffers.Add(ends);
            buffers.Add(data);
            return (Encodings.BinaryOf(Encodings.NoNullsOf(Encodings.FlatOn(64, 0)), Encodings.FlatOn(8, 1), nullAdjustment).ToArray(), buffers);
        }

        var validityIndex = -1;
        if (hasNulls)
        {
            validityIndex = buffers.Count;
            buffers.Add(Bitmap(columns.SelectMany(c => c.Validity ?? Enumerable.Repeat(true, c.Length)), rows));
        }
        ProtoWriter values;
        if (type.Kind == TypeKind.FixedSizeListFloat32)
        {
            var vectors = columns.Cast<FixedSizeListFloat32Column>().ToList();
            var itemValidityIndex = -1;
            if (vectors.Any(v => v.ItemValidity?.Contains(false) == true))
            {
                itemValidityIndex = buffers.Count;
                buffers.Add(Bitmap(vectors.SelectMany(v => v.ItemValidity ?? Enumerable.Repeat(true, v.Values.Length)), rows * type.Dimension));
            }
            var itemValues = Encodings.FlatOn(32, buffers.Count);
            values = Encodings.FixedSizeListOf(type.Dimension,
                itemValidityIndex < 0 ? Encodings.NoNullsOf(itemValues) : Encodings.SomeNullsOf(Encodings.FlatOn(1, itemValidityIndex), itemValues));
        }
        else values = Encodings.FlatOn(type.BitWidth, buffers.Count);
        buffers.Add(FixedWidth(type, columns, rows));
        var encoding = hasNulls ? Encodings.SomeNullsOf(Encodings.FlatOn(1, validityIndex), values) : Encodings.NoNullsOf(values);
        return (encoding.ToArray(), buffers);
    }

    private static byte[] FixedWidth(LanceType type, List<Column> columns, int rows)
    {
        if (type.Kind == TypeKind.Bool) return Bitmap(columns.SelectMany(c => ((BoolColumn)c).Values), rows);
        using var buffer = new MemoryStream();
        foreach (var column in columns)
        {
            switch (column)
            {
                case Int32Column c: buffer.Write(MemoryMarshal.AsBytes(c.Values.AsSpan())); break;
                case PrimitiveColumn<long> c: buffer.Write(MemoryMarshal.AsBytes(c.Values.AsSpan())); break;
                case Float32Column c: buffer.Write(MemoryMarshal.AsBytes(c.Values.AsSpan())); break;
                case Float64Column c: buffer.Write(MemoryMarshal.AsBytes(c.Values.AsSpan())); break;
                case FixedSizeListFloat32Column c: buffer.Write(MemoryMarshal.AsBytes(c.Values.AsSpan())); break;
                default: throw new InvalidOperationException($"cannot encode {column.GetType().Name} as {type}");
            }
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Arrow-style u64 end offsets without the leading zero; a null row's end is the previous end plus
    /// <c>null_adjustment</c> (total bytes + 1), which is how LanceDB's 2.0 writer marks nulls in binary columns.
    /// </summary>
    private static (byte[] Ends, byte[] Data, ulong NullAdjustment) VariableWidth(List<Column> columns)
    {
        var total = columns.Sum(c => (long)((VariableColumn)c).Data.Length);
        var nullAdjustment = (ulong)total + 1;
        var rows = columns.Sum(c => c.Length);
        var ends = new byte[rows * 8];
        var data = new byte[total];
        long offset = 0;
        var row = 0;
        foreach (var column in columns.Cast<VariableColumn>())
        {
            column.Data.CopyTo(data, offset);
            for (var i = 0; i < column.Length; i++, row++)
            {
                var end = (ulong)(offset + column.Ends[i]);
                BinaryPrimitives.WriteUInt64LittleEndian(ends.AsSpan(row * 8), column.IsNull(i) ? end + nullAdjustment : end);
            }
            offset += column.Data.Length;
        }
        return (ends, data, nullAdjustment);
    }

    private static byte[] Bitmap(IEnumerable<bool> bits, int count)
    {
        var bitmap = new byte[(count + 7) / 8];
        var i = 0;
        foreach (var bit in bits)
        {
            if (bit) bitmap[i >> 3] |= (byte)(1 << (i & 7));
            i++;
        }
        return bitmap;
    }

    private static long EstimatedBytes(Column column) => column switch
    {
        VariableColumn v => v.Data.Length + 8L * v.Length,
        _ => Math.Max(1, (long)column.Length * column.Type.BitWidth * Math.Max(1, column.Type.Dimension) / 8),
    };
}
