using AiPlatform.Lake.Batches;
using AiPlatform.Torch;

namespace AiPlatform.ScriptApi;

/// <summary>Gathers chosen rows of a column, from one or more blocks, into one tensor: [rows] or [rows, dimension] for vectors.</summary>
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
        var values = new float[rows.Count * dimension];
        for (var i = 0; i < rows.Count; i++)
        {
            var column = (FixedSizeListFloat32Column)rows[i].Block[name];
            Array.Copy(column.Values, (long)rows[i].Row * dimension, values, (long)i * dimension, dimension);
        }
        return torch.tensor(values, rows.Count, dimension);
    }

    private static Tensor Scalars<T, TColumn>(string name, IReadOnlyList<(RecordBatch Block, int Row)> rows)
        where T : unmanaged where TColumn : PrimitiveColumn<T>
    {
        var values = new T[rows.Count];
        for (var i = 0; i < rows.Count; i++) values[i] = ((TColumn)rows[i].Block[name]).Values[rows[i].Row];
        return torch.tensor(values, rows.Count);
    }
}
