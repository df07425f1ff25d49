namespace AiPlatform.Lake.Batches;

/// <summary>Rows as columns of equal length, described by a schema.</summary>
public sealed class RecordBatch
{
    public RecordBatch(Schema schema, IReadOnlyList<Column> columns)
    {
        if (schema.Fields.Count != columns.Count)
            throw new ArgumentException($"schema has {schema.Fields.Count} columns, batch has {columns.Count}");
        for (var i = 0; i < columns.Count; i++)
        {
            var field = schema.Fields[i];
            if (columns[i].Type != field.Type)
                throw new ArgumentException($"column '{field.Name}' is {field.Type} in the schema but {columns[i].Type} in the batch");
            if (!field.Nullable && columns[i].NullCount > 0)
                throw new ArgumentException($"column '{field.Name}' is not nullable but has {columns[i].NullCount} nulls");
            if (columns[i].Length != columns[0].Length)
                throw new ArgumentException($"column '{field.Name}' has {columns[i].Length} rows, '{schema.Fields[0].Name}' has {columns[0].Length}");
        }
        Schema = schema;
        Columns = columns;
    }

    public Schema Schema { get; }
    public IReadOnlyList<Column> Columns { get; }
    public int Length => Columns.Count == 0 ? 0 : Columns[0].Length;

    public Column this[string name] => Columns[Schema.IndexOf(name)];

    public T Column<T>(string name) where T : Column => this[name] as T
        ?? throw new InvalidCastException($"column '{name}' is {this[name].GetType().Name}, not {typeof(T).Name}");

    public RecordBatch Slice(int start, int count) => new(Schema, Columns.Select(c => c.Slice(start, count)).ToList());
}
