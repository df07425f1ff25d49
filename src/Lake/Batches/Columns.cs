namespace AiPlatform.Lake.Batches;

/// <summary>One column of a record batch. Values are contiguous arrays, so they can be handed to engines without copying.</summary>
public abstract class Column
{
    protected Column(LanceType type, int length, bool[]? validity)
    {
        if (validity is not null && validity.Length != length)
            throw new ArgumentException($"validity has {validity.Length} entries for {length} rows");
        Type = type;
        Length = length;
        Validity = validity;
    }

    public LanceType Type { get; }
    public int Length { get; }

    /// <summary>True where the row has a value; null when every row has one.</summary>
    public bool[]? Validity { get; }

    public bool IsNull(int row) => Validity is not null && !Validity[row];

    public int NullCount => Validity?.Count(v => !v) ?? 0;

    /// <summary>Rows [start, start + count) as a new column.</summary>
    public abstract Column Slice(int start, int count);

    protected bool[]? SliceValidity(int start, int count) => Validity?.AsSpan(start, count).ToArray();
}

/// <summary>Fixed-width numbers: int32, int64, float32, float64 and timestamps (microseconds since the epoch, UTC).</summary>
public abstract class PrimitiveColumn<T>(LanceType type, T[] values, bool[]? validity) : Column(type, values.Length, validity)
    where T : unmanaged
{
    public T[] Values { get; } = values;

    public T? this[int row] => IsNull(row) ? null : Values[row];
}

public sealed class Int32Column(int[] values, bool[]? validity = null) : PrimitiveColumn<int>(LanceType.Int32, values, validity)
{
    public override Column Slice(int start, int count) => new Int32Column(Values.AsSpan(start, count).ToArray(), SliceValidity(start, count));
}

public sealed class Int64Column(long[] values, bool[]? validity = null) : PrimitiveColumn<long>(LanceType.Int64, values, validity)
{
    public override Column Slice(int start, int count) => new Int64Column(Values.AsSpan(start, count).ToArray(), SliceValidity(start, count));
}

public sealed class Float32Column(float[] values, bool[]? validity = null) : PrimitiveColumn<float>(LanceType.Float32, values, validity)
{
    public override Column Slice(int start, int count) => new Float32Column(Values.AsSpan(start, count).ToArray(), SliceValidity(start, count));
}

public sealed class Float64Column(double[] values, bool[]? validity = null) : PrimitiveColumn<double>(LanceType.Float64, values, validity)
{
    public override Column Slice(int start, int count) => new Float64Column(Values.AsSpan(start, count).ToArray(), SliceValidity(start, count));
}

public sealed class TimestampColumn(long[] microseconds, bool[]? validity = null)
    : PrimitiveColumn<long>(LanceType.TimestampMicros, microseconds, validity)
{
    public DateTimeOffset? Time(int row) => IsNull(row) ? null : DateTimeOffset.UnixEpoch.AddTicks(Values[row] * 10);

    public static long ToMicroseconds(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / 10;

    public override Column Slice(int start, int count) => new TimestampColumn(Values.AsSpan(start, count).ToArray(), SliceValidity(start, count));
}

public sealed class BoolColumn(bool[] values, bool[]? validity = null) : Column(LanceType.Bool, values.Length, validity)
{
    public bool[] Values { get; } = values;

    public bool? this[int row] => IsNull(row) ? null : Values[row];

    public override Column Slice(int start, int count) => new BoolColumn(Values.AsSpan(start, count).ToArray(), SliceValidity(start, count));
}

/// <summary>Variable-width values (utf8 or binary) as Arrow lays them out: one byte buffer and end offsets.</summary>
public abstract class VariableColumn : Column
{
    protected VariableColumn(LanceType type, byte[] data, long[] ends, bool[]? validity) : base(type, ends.Length, validity)
    {
        Data = data;
        Ends = ends;
    }

    public byte[] Data { get; }

    /// <summary>End offset of each row's bytes in <see cref="Data"/>; a row starts where the previous one ended.</summary>
    public long[] Ends { get; }

    public ReadOnlySpan<byte> Bytes(int row)
    {
        var start = row == 0 ? 0 : Ends[row - 1];
        return Data.AsSpan((int)start, (int)(Ends[row] - start));
    }

    protected static (byte[] Data, long[] Ends, bool[]? Validity) Pack(IReadOnlyList<byte[]?> values)
    {
        var ends = new long[values.Count];
        bool[]? validity = values.Any(v => v is null) ? values.Select(v => v is not null).ToArray() : null;
        var data = new byte[values.Sum(v => (long)(v?.Length ?? 0))];
        long offset = 0;
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { } bytes)
            {
                bytes.CopyTo(data, offset);
                offset += bytes.Length;
            }
            ends[i] = offset;
        }
        return (data, ends, validity);
    }

    protected (byte[] Data, long[] Ends, bool[]? Validity) SliceParts(int start, int count)
    {
        var first = start == 0 ? 0 : Ends[start - 1];
        var last = count == 0 ? first : Ends[start + count - 1];
        var ends = Ends.AsSpan(start, count).ToArray();
        for (var i = 0; i < ends.Length; i++) ends[i] -= first;
        return (Data.AsSpan((int)first, (int)(last - first)).ToArray(), ends, SliceValidity(start, count));
    }
}

public sealed class StringColumn : VariableColumn
{
    public StringColumn(byte[] data, long[] ends, bool[]? validity = null) : base(LanceType.Utf8, data, ends, validity)
    {
    }

    public static StringColumn From(IReadOnlyList<string?> values)
    {
        var (data, ends, validity) = Pack(values.Select(v => v is null ? null : System.Text.Encoding.UTF8.GetBytes(v)).ToList());
        return new StringColumn(data, ends, validity);
    }

    public string? this[int row] => IsNull(row) ? null : System.Text.Encoding.UTF8.GetString(Bytes(row));

    public override Column Slice(int start, int count)
    {
        var (data, ends, validity) = SliceParts(start, count);
        return new StringColumn(data, ends, validity);
    }
}

public sealed class BinaryColumn : VariableColumn
{
    public BinaryColumn(byte[] data, long[] ends, bool[]? validity = null) : base(LanceType.Binary, data, ends, validity)
    {
    }

    public static BinaryColumn From(IReadOnlyList<byte[]?> values)
    {
        var (data, ends, validity) = Pack(values);
        return new BinaryColumn(data, ends, validity);
    }

    public byte[]? this[int row] => IsNull(row) ? null : Bytes(row).ToArray();

    public override Column Slice(int start, int count)
    {
        var (data, ends, validity) = SliceParts(start, count);
        return new BinaryColumn(data, ends, validity);
    }
}

/// <summary>
/// Vectors of floats (embeddings, flattened images): row-major in one array, so [rows, dimension] tensors are one copy
/// away. <see cref="ItemValidity"/> marks null items inside vectors (e.g. [4, null, 6]); null when every item has a value.
/// </summary>
public sealed class FixedSizeListFloat32Column : Column
{
    public FixedSizeListFloat32Column(int dimension, float[] values, bool[]? validity = null, bool[]? itemValidity = null)
        : base(LanceType.FixedSizeListFloat32(dimension), Rows(values.Length, dimension), validity)
    {
        if (itemValidity is not null && itemValidity.Length != values.Length)
            throw new ArgumentException($"item validity has {itemValidity.Length} entries for {values.Length} items");
        Dimension = dimension;
        Values = values;
        ItemValidity = itemValidity;
    }

    public int Dimension { get; }
    public float[] Values { get; }
    public bool[]? ItemValidity { get; }

    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Dimension, Dimension);

    /// <summary>One vector with its null items as null; null when the row itself is null.</summary>
    public float?[]? this[int row] => IsNull(row)
        ? null
        : Enumerable.Range(row * Dimension, Dimension).Select(i => ItemValidity is null || ItemValidity[i] ? Values[i] : (float?)null).ToArray();

    public override Column Slice(int start, int count) =>
        new FixedSizeListFloat32Column(Dimension, Values.AsSpan(start * Dimension, count * Dimension).ToArray(), SliceValidity(start, count),
            ItemValidity?.AsSpan(start * Dimension, count * Dimension).ToArray());

    private static int Rows(int values, int dimension) =>
        values % dimension == 0 ? values / dimension : throw new ArgumentException($"{values} floats are not a whole number of {dimension}-vectors");
}
