using System.Buffers;
using AiPlatform.Lake.Batches;
using AiPlatform.Torch;

namespace AiPlatform.ScriptApi;

/// <summary>Gathers chosen rows of a column, from one or more blocks, into one tensor: [rows] or [rows, dimension] for vectors.</summary>
/// <remarks>
/// Rows are gathered into a pooled buffer that the tensor copies once: a fresh array per batch would land on the large
/// object heap (a 64-image batch is 200 KB) and the collections it causes would stall the training thread.
/// </remarks>
internal static class ColumnTensors
{
    public static Tensor Gather(string name, IReadOnlyList<(RecordBatch Block, int Row)> rows)
    {
        var first = rows[0].Block[name];
        return first switch
        {
            FixedSizeListFloat32Column vectors => Vectors(name, rows, vectors.Dimension),
            Float32Column => Scalars<float, Float32Column>(name, rows),
            Float64Column => Scalars<double, Float64Column>(name, rows),
            Int64Column => Scalars<long, Int64Column>(name, rows),
            Int32Column => Scalars<int, Int32Column>(name, rows),
            _ => throw new NotSupportedException($"column '{name}' is {first.Type}, which has no tensor form; leave it out of the loader's columns"),
        };
    }

    private static Tensor Vectors(string name, IReadOnlyList<(RecordBatch Block, int Row)> rows, int dimension)
    {
        var length = rows.Count * dimension;
        var values = ArrayPool<float>.Shared.Rent(length);
        try
        {
            for (var i = 0; i < rows.Count; i++)
            {
                var column = (FixedSizeListFloat32Column)rows[i].Block[name];
                column.Values.AsSpan(rows[i].Row * dimension, dimension).CopyTo(values.AsSpan(i * dimension, dimension));
            }
            return torch.tensor(values.AsSpan(0, length), rows.Count, dimension);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
        }
    }

    private static Tensor Scalars<T, TColumn>(string name, IReadOnlyList<(RecordBatch Block, int Row)> rows)
        where T : unmanaged where TColumn : PrimitiveColumn<T>
    {
        var values = ArrayPool<T>.Shared.Rent(rows.Count);
        try
        {
            for (var i = 0; i < rows.Count; i++) values[i] = ((TColumn)rows[i].Block[name]).Values[rows[i].Row];
            return torch.tensor<T>(values.AsSpan(0, rows.Count), rows.Count);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(values);
        }
    }
}
