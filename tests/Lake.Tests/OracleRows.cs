using System.Text.Json.Nodes;
using AiPlatform.Lake.Batches;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>Compares what this library read with what LanceDB read from the same table, value by value and null by null.</summary>
public static class OracleRows
{
    public static void AssertSame(JsonNode oracle, RecordBatch ours)
    {
        Assert.Equal(oracle["rows"]!.GetValue<int>(), ours.Length);
        var columns = oracle["columns"]!.AsObject();
        Assert.Equal(columns.Select(c => c.Key), ours.Schema.Fields.Select(f => f.Name));
        foreach (var field in ours.Schema.Fields)
        {
            var expected = columns[field.Name]!.AsArray();
            var column = ours[field.Name];
            for (var row = 0; row < ours.Length; row++)
                Assert.True(JsonNode.DeepEquals(expected[row], Value(column, row)),
                    $"column '{field.Name}' row {row}: LanceDB read {expected[row]?.ToJsonString() ?? "null"}, this library {Value(column, row)?.ToJsonString() ?? "null"}");
        }
    }

    /// <summary>One value in the oracle's JSON form (oracle.mjs jsonValue).</summary>
    public static JsonNode? Value(Column column, int row) => column.IsNull(row) ? null : column switch
    {
        Int32Column c => JsonValue.Create(c.Values[row]),
        Int64Column c => JsonValue.Create(c.Values[row].ToString()),
        TimestampColumn c => JsonValue.Create(c.Values[row] / 1000.0),
        Float32Column c => JsonValue.Create((double)c.Values[row]),
        Float64Column c => JsonValue.Create(c.Values[row]),
        BoolColumn c => JsonValue.Create(c.Values[row]),
        StringColumn c => JsonValue.Create(c[row]),
        BinaryColumn c => JsonValue.Create(Convert.ToBase64String(c[row]!)),
        FixedSizeListFloat32Column c => new JsonArray(c[row]!.Select(v => v is null ? null : (JsonNode)JsonValue.Create((double)v.Value)).ToArray()),
        _ => throw new NotSupportedException(column.GetType().Name),
    };
}
