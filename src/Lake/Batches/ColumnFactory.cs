namespace AiPlatform.Lake.Batches;

/// <summary>Columns with no values of their own: empty ones, and all-null ones (a column a fragment has no data file for).</summary>
public static class ColumnFactory
{
    public static Column Empty(LanceType type) => Nulls(type, 0);

    /// <summary><paramref name="rows"/> nulls; for vectors the rows are null, not their items.</summary>
    public static Column Nulls(LanceType type, int rows)
    {
        var validity = rows == 0 ? null : new bool[rows];
        return type.Kind switch
        {
            TypeKind.Int32 => new Int32Column(new int[rows], validity),
            TypeKind.Int64 => new Int64Column(new long[rows], validity),
            TypeKind.TimestampMicros => new TimestampColumn(new long[rows], validity),
            TypeKind.Float32 => new Float32Column(new float[rows], validity),
            TypeKind.Float64 => new Float64Column(new double[rows], validity),
            TypeKind.Bool => new BoolColumn(new bool[rows], validity),
            TypeKind.Utf8 => new StringColumn([], new long[rows], validity),
            TypeKind.Binary => new BinaryColumn([], new long[rows], validity),
            TypeKind.FixedSizeListFloat32 => new FixedSizeListFloat32Column(type.Dimension, new float[rows * type.Dimension], validity),
            _ => throw new NotSupportedException(type.ToString()),
        };
    }
}
