using System.Buffers;
using AiPlatform.Lake.Batches;

namespace AiPlatform.ScriptApi;

/// <summary>Gathers chosen rows of a column, from one or more blocks, into one tensor: [rows] or [rows, dimension] for vectors.</summary>
/// <remarks>
/// Rows are gathered into a pooled buffer that the tensor copies once: a fresh array per batch would land on the large
/// object heap (a 64-image batch is 200 KB) and the collections it causes would stall the training thread.
/// </remarks>
internal static class ColumnTensors
{
    public static TTensor Gather<TTensor>(string name, IReadOnlyList<(RecordBatch Block, int Row)> rows, ITensorMaker<TTensor> tensors,
        Func<TTensor, TTensor>? transform)
    {
        var first = rows[0].Block[name];
        return first switch
        {
            FixedSizeListFloat32Column vectors => Vectors(name, rows, vectors.Dimension, tensors, transform),
            Float32Column => Scalars<float, Float32Column, TTensor>(name, rows, tensors, transform),
            Float64Column => Scalars<double, Float64Column, TTensor>(name, rows, tensors, transform),
            Int64Column => Scalars<long, Int64Column, TTensor>(name, rows, tensors, transform),
            Int32Column => Scalars<int, Int32Column, TTensor>(name, rows, tensors, transform),
            _ => throw new NotSupportedException($"column '{name}' is {first.Type}, which has no tensor form; leave it out of the loader's columns"),
        };
    }

    private static TTensor Vectors<TTensor>(string name, IReadOnlyList<(RecordBatch Block, int Row)> rows, int dimension,
        ITensorMaker<TTensor> tensors, Func<TTensor, TTensor>? transform)
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
            return tensors.Make<float>(values.AsSpan(0, length), [rows.Count, dimension], transform);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
        }
    }

    private static TTensor Scalars<T, TColumn, TTensor>(string name, IReadOnlyList<(RecordBatch Block, int Row)> rows,
        ITensorMaker<TTensor> tensors, Func<TTensor, TTensor>? transform)
        where T : unmanaged where TColumn : PrimitiveColumn<T>
    {
        var values = ArrayPool<T>.Shared.Rent(rows.Count);
        try
        {
            for (var i = 0; i < rows.Count; i++) values[i] = ((TColumn)rows[i].Block[name]).Values[rows[i].Row];
            return tensors.Make<T>(values.AsSpan(0, rows.Count), [rows.Count], transform);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(values);
        }
    }
}
