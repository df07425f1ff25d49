using AiPlatform.Lake.Batches;

namespace AiPlatform.Lake.Tests;

/// <summary>Batches with every supported type, nulls in every nullable column, and values that depend on the row.</summary>
public static class Samples
{
    public static readonly Schema AllTypes = new(
        new Field("i32", LanceType.Int32),
        new Field("i64", LanceType.Int64, Nullable: false),
        new Field("f32", LanceType.Float32),
        new Field("f64", LanceType.Float64),
        new Field("flag", LanceType.Bool),
        new Field("text", LanceType.Utf8),
        new Field("blob", LanceType.Binary),
        new Field("at", LanceType.TimestampMicros),
        new Field("vector", LanceType.FixedSizeListFloat32(4)));

    public static bool IsNull(long row) => row % 7 == 3;

    public static RecordBatch Batch(long first, int rows)
    {
        var ids = Enumerable.Range(0, rows).Select(i => first + i).ToArray();
        bool[] Valid() => ids.Select(r => !IsNull(r)).ToArray();
        return new RecordBatch(AllTypes, [
            new Int32Column(ids.Select(r => (int)r * 3).ToArray(), Valid()),
            new Int64Column(ids.Select(r => r * 1_000_000_007L).ToArray()),
            new Float32Column(ids.Select(r => r / 4f).ToArray(), Valid()),
            new Float64Column(ids.Select(r => r / 3.0).ToArray(), Valid()),
            new BoolColumn(ids.Select(r => r % 2 == 0).ToArray(), Valid()),
            StringColumn.From(ids.Select(r => IsNull(r) ? null : $"row {r} ü").ToList()),
            BinaryColumn.From(ids.Select(r => IsNull(r) ? null : BitConverter.GetBytes(r)).ToList()),
            new TimestampColumn(ids.Select(r => 1_700_000_000_000_000L + r).ToArray(), Valid()),
            new FixedSizeListFloat32Column(4, ids.SelectMany(r => new[] { r, r + 0.5f, -r, 1f }).ToArray()),
        ]);
    }

    public static void AssertRows(RecordBatch batch, long first)
    {
        for (var i = 0; i < batch.Length; i++)
        {
            var r = first + i;
            var nullable = IsNull(r);
            Xunit.Assert.Equal(nullable ? null : (int)r * 3, batch.Column<Int32Column>("i32")[i]);
            Xunit.Assert.Equal(r * 1_000_000_007L, batch.Column<Int64Column>("i64")[i]);
            Xunit.Assert.Equal(nullable ? null : r / 4f, batch.Column<Float32Column>("f32")[i]);
            Xunit.Assert.Equal(nullable ? null : r / 3.0, batch.Column<Float64Column>("f64")[i]);
            Xunit.Assert.Equal(nullable ? null : r % 2 == 0, batch.Column<BoolColumn>("flag")[i]);
            Xunit.Assert.Equal(nullable ? null : $"row {r} ü", batch.Column<StringColumn>("text")[i]);
            Xunit.Assert.Equal(nullable ? null : BitConverter.GetBytes(r), batch.Column<BinaryColumn>("blob")[i]);
            Xunit.Assert.Equal(nullable ? null : 1_700_000_000_000_000L + r, batch.Column<TimestampColumn>("at")[i]);
            Xunit.Assert.Equal(new[] { r, r + 0.5f, -r, 1f }, batch.Column<FixedSizeListFloat32Column>("vector").Row(i).ToArray());
        }
    }
}
