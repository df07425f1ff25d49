using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;
using ArrowField = Apache.Arrow.Field;
using ArrowRecordBatch = Apache.Arrow.RecordBatch;
using ArrowSchema = Apache.Arrow.Schema;

namespace AiPlatform.Lake.Batches;

/// <summary>
/// The lake's batches as Apache Arrow record batches and back, so any Arrow producer or consumer in .NET (Arrow IPC
/// and Flight, ParquetSharp, DuckDB.NET, ML.NET's Arrow readers) hands data to the lake and takes it back. Towards
/// Arrow, the numbers and vectors of a column are shared, not copied; validity becomes a bitmap, and string offsets
/// are narrowed to Arrow's default 32-bit <c>utf8</c>/<c>binary</c>. From Arrow, values are copied into the
/// column's arrays (Arrow buffers may live in native or pooled memory the lake must not hold on to).
/// </summary>
public static class ArrowBatches
{
    private const string Utc = "UTC";

    public static ArrowRecordBatch ToArrow(this RecordBatch batch) =>
        new(batch.Schema.ToArrow(), batch.Columns.Select(ToArrow), batch.Length);

    public static ArrowSchema ToArrow(this Schema schema) =>
        new(schema.Fields.Select(f => new ArrowField(f.Name, ToArrow(f.Type), f.Nullable)), metadata: null);

    /// <summary>A batch of the lake's types; an Arrow type with no lake equivalent is refused, naming its column.</summary>
    public static RecordBatch FromArrow(ArrowRecordBatch batch)
    {
        var schema = FromArrow(batch.Schema);
        return new RecordBatch(schema, batch.Arrays.Select((array, i) => FromArrow(array, schema.Fields[i])).ToList());
    }

    public static Schema FromArrow(ArrowSchema schema) =>
        new(schema.FieldsList.Select(f => new Field(f.Name, FromArrow(f.DataType, f.Name), f.IsNullable)).ToList());

    private static IArrowType ToArrow(LanceType type) => type.Kind switch
    {
        TypeKind.Int32 => Int32Type.Default,
        TypeKind.Int64 => Int64Type.Default,
        TypeKind.Float32 => FloatType.Default,
        TypeKind.Float64 => DoubleType.Default,
        TypeKind.Bool => BooleanType.Default,
        TypeKind.Utf8 => StringType.Default,
        TypeKind.Binary => BinaryType.Default,
        TypeKind.TimestampMicros => new TimestampType(TimeUnit.Microsecond, Utc),
        TypeKind.FixedSizeListFloat32 => new FixedSizeListType(new ArrowField("item", FloatType.Default, true), type.Dimension),
        _ => throw new NotSupportedException($"the lake type {type} has no Arrow equivalent here"),
    };

    private static LanceType FromArrow(IArrowType type, string column) => type switch
    {
        Int32Type => LanceType.Int32,
        Int64Type => LanceType.Int64,
        FloatType => LanceType.Float32,
        DoubleType => LanceType.Float64,
        BooleanType => LanceType.Bool,
        StringType or LargeStringType => LanceType.Utf8,
        BinaryType or LargeBinaryType => LanceType.Binary,
        // Timestamps are instants in the lake: a zone-less Arrow timestamp is read as UTC.
        TimestampType => LanceType.TimestampMicros,
        FixedSizeListType { ValueDataType: FloatType } list => LanceType.FixedSizeListFloat32(list.ListSize),
        _ => throw new NotSupportedException($"column '{column}' is Arrow {type.Name}, which the lake does not store " +
                                             "(int32, int64, float, double, bool, utf8, binary, timestamp, fixed_size_list<float>)"),
    };

    private static IArrowArray ToArrow(Column column)
    {
        var (nulls, nullCount) = Bitmap(column.Validity);
        return column switch
        {
            Int32Column c => new Int32Array(Shared(c.Values), nulls, c.Length, nullCount, 0),
            Int64Column c => new Int64Array(Shared(c.Values), nulls, c.Length, nullCount, 0),
            Float32Column c => new FloatArray(Shared(c.Values), nulls, c.Length, nullCount, 0),
            Float64Column c => new DoubleArray(Shared(c.Values), nulls, c.Length, nullCount, 0),
            TimestampColumn c => new TimestampArray((TimestampType)ToArrow(c.Type), Shared(c.Values), nulls, c.Length, nullCount, 0),
            BoolColumn c => new BooleanArray(Bitmap(c.Values).Buffer, nulls, c.Length, nullCount, 0),
            StringColumn c => new StringArray(c.Length, Offsets(c), new ArrowBuffer(c.Data), nulls, nullCount, 0),
            BinaryColumn c => new BinaryArray(BinaryType.Default, c.Length, Offsets(c), new ArrowBuffer(c.Data), nulls, nullCount, 0),
            FixedSizeListFloat32Column c => new FixedSizeListArray(ToArrow(c.Type), c.Length, Items(c), nulls, nullCount, 0),
            _ => throw new NotSupportedException($"no Arrow form for {column.GetType().Name}"),
        };
    }

    private static Column FromArrow(IArrowArray array, Field field)
    {
        var validity = Validity(array);
        return array switch
        {
            Int32Array a => new Int32Column(a.Values.ToArray(), validity),
            Int64Array a => new Int64Column(a.Values.ToArray(), validity),
            FloatArray a => new Float32Column(a.Values.ToArray(), validity),
            DoubleArray a => new Float64Column(a.Values.ToArray(), validity),
            TimestampArray a => new TimestampColumn(Microseconds(a), validity),
            BooleanArray a => new BoolColumn(Enumerable.Range(0, a.Length).Select(i => a.GetValue(i) ?? false).ToArray(), validity),
            StringArray a => new StringColumn(VariableData(a.ValueOffsets, a.ValueBuffer.Span), VariableEnds(a.ValueOffsets), validity),
            LargeStringArray a => new StringColumn(VariableData(a.ValueOffsets, a.ValueBuffer.Span), VariableEnds(a.ValueOffsets), validity),
            BinaryArray a => new BinaryColumn(VariableData(a.ValueOffsets, a.ValueBuffer.Span), VariableEnds(a.ValueOffsets), validity),
            LargeBinaryArray a => new BinaryColumn(VariableData(a.ValueOffsets, a.ValueBuffer.Span), VariableEnds(a.ValueOffsets), validity),
            FixedSizeListArray a => Vectors(a, field.Type.Dimension, validity),
            _ => throw new NotSupportedException($"column '{field.Name}' is Arrow {array.Data.DataType.Name}, which the lake does not store"),
        };
    }

    private static FloatArray Items(FixedSizeListFloat32Column column)
    {
        var (nulls, nullCount) = Bitmap(column.ItemValidity);
        return new FloatArray(Shared(column.Values), nulls, column.Values.Length, nullCount, 0);
    }

    private static FixedSizeListFloat32Column Vectors(FixedSizeListArray array, int dimension, bool[]? validity)
    {
        var items = (FloatArray)array.Values;
        var first = array.Offset * dimension;
        var values = items.Values.Slice(first, array.Length * dimension).ToArray();
        bool[]? itemValidity = items.NullCount == 0 ? null : Enumerable.Range(first, values.Length).Select(items.IsValid).ToArray();
        return new FixedSizeListFloat32Column(dimension, values, validity, itemValidity);
    }

    private static long[] Microseconds(TimestampArray array)
    {
        var unit = ((TimestampType)array.Data.DataType).Unit;
        return array.Values.ToArray().Select(value => unit switch
        {
            TimeUnit.Second => value * 1_000_000,
            TimeUnit.Millisecond => value * 1_000,
            TimeUnit.Microsecond => value,
            // The lake keeps microseconds, as Lance's timestamp[us]; finer digits are dropped, as pyarrow's safe=False cast does.
            _ => value / 1_000,
        }).ToArray();
    }

    /// <summary>The bytes of rows in Arrow's value buffer, from the first row's start to the last row's end.</summary>
    private static byte[] VariableData<TOffset>(ReadOnlySpan<TOffset> offsets, ReadOnlySpan<byte> data) where TOffset : IBinaryInteger<TOffset> =>
        data[int.CreateChecked(offsets[0])..int.CreateChecked(offsets[^1])].ToArray();

    /// <summary>Each row's end, counted from the first row's start (Arrow's offsets of a sliced array start anywhere).</summary>
    private static long[] VariableEnds<TOffset>(ReadOnlySpan<TOffset> offsets) where TOffset : IBinaryInteger<TOffset>
    {
        var start = long.CreateChecked(offsets[0]);
        var ends = new long[offsets.Length - 1];
        for (var i = 0; i < ends.Length; i++) ends[i] = long.CreateChecked(offsets[i + 1]) - start;
        return ends;
    }

    private static ArrowBuffer Offsets(VariableColumn column)
    {
        if (column.Data.Length > int.MaxValue) throw new NotSupportedException("a column of over 2 GiB of bytes needs Arrow's large types");
        var offsets = new int[column.Length + 1];
        for (var i = 0; i < column.Length; i++) offsets[i + 1] = (int)column.Ends[i];
        return Shared(offsets);
    }

    private static bool[]? Validity(IArrowArray array) =>
        array.NullCount == 0 ? null : Enumerable.Range(0, array.Length).Select(array.IsValid).ToArray();

    private static (ArrowBuffer Buffer, int NullCount) Bitmap(bool[]? flags)
    {
        if (flags is null) return (ArrowBuffer.Empty, 0);
        var builder = new ArrowBuffer.BitmapBuilder(flags.Length);
        foreach (var flag in flags) builder.Append(flag);
        return (builder.Build(), builder.UnsetBitCount);
    }

    private static ArrowBuffer Shared<T>(T[] values) where T : unmanaged => new(new ArrayBytes<T>(values).Memory);

    /// <summary>A managed array's bytes as memory: an Arrow buffer over a column's values without a copy.</summary>
    private sealed class ArrayBytes<T>(T[] array) : MemoryManager<byte> where T : unmanaged
    {
        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(array.AsSpan());

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
            return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
