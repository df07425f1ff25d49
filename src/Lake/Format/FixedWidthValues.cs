using System.Buffers;
using System.Runtime.InteropServices;
using AiPlatform.Lake.Batches;

namespace AiPlatform.Lake.Format;

/// <summary>
/// The arrays of fixed-width columns (numbers, vectors) seen as bytes, so that a page holding its values as the array
/// does is read straight into the column's own array: no page buffer, no decode, no copy.
/// </summary>
internal static class FixedWidthValues
{
    /// <summary>Bytes of one row in the column's array; 0 when rows are not whole bytes (booleans) or vary (strings).</summary>
    public static int RowBytes(LanceType type) => type.Kind switch
    {
        TypeKind.Int32 or TypeKind.Float32 => 4,
        TypeKind.Int64 or TypeKind.Float64 or TypeKind.TimestampMicros => 8,
        TypeKind.FixedSizeListFloat32 => checked(4 * type.Dimension),
        _ => 0,
    };

    /// <summary>Items in one row: the dimension of vectors, 1 for numbers.</summary>
    public static int ItemsPerRow(LanceType type) => type.Kind == TypeKind.FixedSizeListFloat32 ? type.Dimension : 1;

    /// <summary>An array for <paramref name="rows"/> rows, not zeroed: every byte is about to be read into.</summary>
    public static Array Allocate(LanceType type, int rows) => type.Kind switch
    {
        TypeKind.Int32 => GC.AllocateUninitializedArray<int>(rows),
        TypeKind.Float32 => GC.AllocateUninitializedArray<float>(rows),
        TypeKind.Int64 or TypeKind.TimestampMicros => GC.AllocateUninitializedArray<long>(rows),
        TypeKind.Float64 => GC.AllocateUninitializedArray<double>(rows),
        TypeKind.FixedSizeListFloat32 => GC.AllocateUninitializedArray<float>(checked(rows * type.Dimension)),
        _ => throw new ArgumentException($"{type} has no fixed-width array"),
    };

    public static Column ToColumn(LanceType type, Array values) => type.Kind switch
    {
        TypeKind.Int32 => new Int32Column((int[])values),
        TypeKind.Float32 => new Float32Column((float[])values),
        TypeKind.Int64 => new Int64Column((long[])values),
        TypeKind.TimestampMicros => new TimestampColumn((long[])values),
        TypeKind.Float64 => new Float64Column((double[])values),
        TypeKind.FixedSizeListFloat32 => new FixedSizeListFloat32Column(type.Dimension, (float[])values),
        _ => throw new ArgumentException($"{type} has no fixed-width array"),
    };

    /// <summary>The array behind a fixed-width column.</summary>
    public static Array ArrayOf(Column column) => column switch
    {
        PrimitiveColumn<int> numbers => numbers.Values,
        PrimitiveColumn<long> numbers => numbers.Values,
        PrimitiveColumn<float> numbers => numbers.Values,
        PrimitiveColumn<double> numbers => numbers.Values,
        FixedSizeListFloat32Column vectors => vectors.Values,
        _ => throw new ArgumentException($"{column.Type} has no fixed-width array"),
    };

    /// <summary>The array's bytes as memory an object store can read into.</summary>
    public static Memory<byte> Bytes(Array values) => new ByteView(values).Memory;

    private sealed class ByteView(Array values) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() =>
            MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(values), Buffer.ByteLength(values));

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = GCHandle.Alloc(values, GCHandleType.Pinned);
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
