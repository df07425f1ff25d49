namespace AiPlatform.Lake.Batches;

/// <summary>Joins columns of one type end to end (pages into a range, fragments into a batch).</summary>
public static class ColumnConcat
{
    public static Column Concat(LanceType type, IReadOnlyList<Column> parts)
    {
        if (parts.Count == 1) return parts[0];
        var validity = parts.Any(p => p.Validity is not null)
            ? parts.SelectMany(p => p.Validity ?? Enumerable.Repeat(true, p.Length)).ToArray()
            : null;
        return type.Kind switch
        {
            TypeKind.Int32 => new Int32Column(Join<Int32Column, int>(parts), validity),
            TypeKind.Int64 => new Int64Column(Join<Int64Column, long>(parts), validity),
            TypeKind.TimestampMicros => new TimestampColumn(Join<TimestampColumn, long>(parts), validity),
            TypeKind.Float32 => new Float32Column(Join<Float32Column, float>(parts), validity),
            TypeKind.Float64 => new Float64Column(Join<Float64Column, double>(parts), validity),
            TypeKind.Bool => new BoolColumn(parts.Cast<BoolColumn>().SelectMany(p => p.Values).ToArray(), validity),
            TypeKind.FixedSizeListFloat32 => new FixedSizeListFloat32Column(type.Dimension,
                parts.Cast<FixedSizeListFloat32Column>().SelectMany(p => p.Values).ToArray(), validity),
            TypeKind.Utf8 => JoinVariable(parts, validity, (data, ends, v) => new StringColumn(data, ends, v)),
            TypeKind.Binary => JoinVariable(parts, validity, (data, ends, v) => new BinaryColumn(data, ends, v)),
            _ => throw new NotSupportedException(type.ToString()),
        };
    }

    private static T[] Join<TColumn, T>(IReadOnlyList<Column> parts) where TColumn : PrimitiveColumn<T> where T : unmanaged
    {
        var result = new T[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var part in parts.Cast<TColumn>())
        {
            part.Values.CopyTo(result, offset);
            offset += part.Length;
        }
        return result;
    }

    private static Column JoinVariable(IReadOnlyList<Column> parts, bool[]? validity, Func<byte[], long[], bool[]?, Column> create)
    {
        var variable = parts.Cast<VariableColumn>().ToList();
        var data = new byte[variable.Sum(p => (long)p.Data.Length)];
        var ends = new long[variable.Sum(p => p.Length)];
        long offset = 0;
        var row = 0;
        foreach (var part in variable)
        {
            part.Data.CopyTo(data, offset);
            foreach (var end in part.Ends) ends[row++] = offset + end;
            offset += part.Data.Length;
        }
        return create(data, ends, validity);
    }
}
