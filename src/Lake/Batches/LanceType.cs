namespace AiPlatform.Lake.Batches;

public enum TypeKind
{
    Int32,
    Int64,
    Float32,
    Float64,
    Bool,
    Utf8,
    Binary,
    TimestampMicros,
    FixedSizeListFloat32,
}

/// <summary>A column type; <see cref="LogicalType"/> is the string Lance stores in schemas.</summary>
public sealed record LanceType(TypeKind Kind, int Dimension = 0)
{
    public static readonly LanceType Int32 = new(TypeKind.Int32);
    public static readonly LanceType Int64 = new(TypeKind.Int64);
    public static readonly LanceType Float32 = new(TypeKind.Float32);
    public static readonly LanceType Float64 = new(TypeKind.Float64);
    public static readonly LanceType Bool = new(TypeKind.Bool);
    public static readonly LanceType Utf8 = new(TypeKind.Utf8);
    public static readonly LanceType Binary = new(TypeKind.Binary);
    public static readonly LanceType TimestampMicros = new(TypeKind.TimestampMicros);

    public static LanceType FixedSizeListFloat32(int dimension) =>
        dimension > 0 ? new(TypeKind.FixedSizeListFloat32, dimension) : throw new ArgumentOutOfRangeException(nameof(dimension));

    /// <summary>Bits per value of fixed-width types (per item for lists), 0 for variable-width ones.</summary>
    public int BitWidth => Kind switch
    {
        TypeKind.Int32 or TypeKind.Float32 or TypeKind.FixedSizeListFloat32 => 32,
        TypeKind.Int64 or TypeKind.Float64 or TypeKind.TimestampMicros => 64,
        TypeKind.Bool => 1,
        _ => 0,
    };

    public bool IsVariableWidth => Kind is TypeKind.Utf8 or TypeKind.Binary;

    public string LogicalType => Kind switch
    {
        TypeKind.Int32 => "int32",
        TypeKind.Int64 => "int64",
        TypeKind.Float32 => "float",
        TypeKind.Float64 => "double",
        TypeKind.Bool => "bool",
        TypeKind.Utf8 => "string",
        TypeKind.Binary => "binary",
        TypeKind.TimestampMicros => "timestamp:us:UTC",
        TypeKind.FixedSizeListFloat32 => $"fixed_size_list:float:{Dimension}",
        _ => throw new InvalidOperationException(),
    };

    /// <summary>The Arrow-style name shown to users, e.g. <c>fixed_size_list&lt;float32, 784&gt;</c>.</summary>
    public override string ToString() => Kind switch
    {
        TypeKind.Float32 => "float32",
        TypeKind.Float64 => "float64",
        TypeKind.Utf8 => "string",
        TypeKind.TimestampMicros => "timestamp[us]",
        TypeKind.FixedSizeListFloat32 => $"fixed_size_list<float32, {Dimension}>",
        _ => LogicalType,
    };

    public static LanceType Parse(string logicalType) => logicalType switch
    {
        "int32" => Int32,
        "int64" => Int64,
        "float" => Float32,
        "double" => Float64,
        "bool" => Bool,
        "string" or "large_string" => Utf8,
        "binary" or "large_binary" => Binary,
        _ when logicalType.StartsWith("timestamp:us", StringComparison.Ordinal) => TimestampMicros,
        _ when logicalType.StartsWith("fixed_size_list:float:", StringComparison.Ordinal) =>
            FixedSizeListFloat32(int.Parse(logicalType["fixed_size_list:float:".Length..])),
        _ => throw new NotSupportedException($"Lance logical type '{logicalType}' is not supported"),
    };
}

public sealed record Field(string Name, LanceType Type, bool Nullable = true);

public sealed class Schema
{
    public Schema(IReadOnlyList<Field> fields)
    {
        var duplicate = fields.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"column '{duplicate.Key}' appears twice in the schema");
        Fields = fields;
    }

    public Schema(params Field[] fields) : this((IReadOnlyList<Field>)fields)
    {
    }

    public IReadOnlyList<Field> Fields { get; }

    public int IndexOf(string name)
    {
        for (var i = 0; i < Fields.Count; i++)
            if (Fields[i].Name == name) return i;
        throw new KeyNotFoundException($"no column '{name}'; columns are {string.Join(", ", Fields.Select(f => f.Name))}");
    }

    public bool SameAs(Schema other) => Fields.SequenceEqual(other.Fields);

    public IReadOnlyDictionary<string, string> Describe() => Fields.ToDictionary(f => f.Name, f => f.Type.ToString());
}
