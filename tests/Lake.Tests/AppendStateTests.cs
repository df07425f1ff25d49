using System.Text.Json.Nodes;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>An append by this library leaves a LanceDB table as LanceDB had it: indices, metadata, types, row ids, version.</summary>
public sealed class AppendStateTests
{
    public static TheoryData<string> StoreKinds => Stores.Kinds;

    private static readonly Schema Typed = new(
        new Field("id", LanceType.Int64, Nullable: false),
        new Field("name", LanceType.Utf8),
        new Field("payload", LanceType.Binary),
        new Field("seen", LanceType.TimestampMicros));

    private static RecordBatch TypedRows(int first, int count)
    {
        var ids = Enumerable.Range(first, count).ToArray();
        return new RecordBatch(Typed, [
            new Int64Column(ids.Select(r => (long)r).ToArray()),
            StringColumn.From(ids.Select(r => r % 4 == 2 ? null : $"name {r}").ToList()),
            BinaryColumn.From(ids.Select(r => r % 4 == 2 ? null : new[] { (byte)(r % 256), (byte)7 }).ToList()),
            new TimestampColumn(ids.Select(r => 1_700_000_000_000L + r).ToArray()),
        ]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task Our_append_keeps_LanceDBs_index_metadata_large_types_and_stable_row_ids(string kind)
    {
        var options = Stores.Options(kind);
        var uri = LanceDbOracle.DatasetsUri(options);
        LanceDbOracle.Run("write-typed", uri, "typed", "40", "--stable-row-ids");
        LanceDbOracle.Run("create-index", uri, "typed", "id");
        var before = LanceDbOracle.State(uri, "typed");

        var catalog = new LakeCatalog(options);
        Assert.Equal(Typed.Fields, (await catalog.OpenDatasetAsync("typed")).Schema.Fields);
        await using (var writer = catalog.CreateDatasetWriter("typed", Typed, WriteMode.Append))
        {
            await writer.WriteAsync(TypedRows(40, 25));
            await writer.CommitAsync();
        }

        var after = LanceDbOracle.State(uri, "typed");
        Assert.Equal(65, after["rows"]!.GetValue<int>());
        Assert.Equal(before["indices"]!.ToJsonString(), after["indices"]!.ToJsonString());
        Assert.Equal("""[{"name":"id_idx","columns":["id"],"indexType":"BTree"}]""", after["indices"]!.ToJsonString());
        Assert.Equal(before["schemaMetadata"]!.ToJsonString(), after["schemaMetadata"]!.ToJsonString());
        Assert.Equal(before["fields"]!.ToJsonString(), after["fields"]!.ToJsonString());
        Assert.Contains("LargeUtf8", after["fields"]!.ToJsonString());
        Assert.Equal(Enumerable.Range(0, 65).Select(i => i.ToString()), after["rowIds"]!.AsArray().Select(v => v!.GetValue<string>()));

        var theirs = LanceDbOracle.Read(uri, "typed");
        var ours = await (await catalog.OpenDatasetAsync("typed")).ReadAsync();
        OracleRows.AssertSame(theirs, ours);
        Assert.Equal("name 64", ours.Column<StringColumn>("name")[64]);
    }

    [Fact]
    public async Task LanceDB_appends_to_ours_and_we_append_again_with_its_index_kept()
    {
        var options = Stores.Options("local");
        var uri = LanceDbOracle.DatasetsUri(options);
        var catalog = new LakeCatalog(options);
        await using (var writer = catalog.CreateDatasetWriter("mixed", Samples.AllTypes))
        {
            await writer.WriteAsync(Samples.Batch(0, 300));
            await writer.CommitAsync();
        }
        LanceDbOracle.Write(uri, "mixed", "append", 300, 100);
        LanceDbOracle.Run("create-index", uri, "mixed", "i64");
        await using (var writer = catalog.CreateDatasetWriter("mixed", Samples.AllTypes, WriteMode.Append))
        {
            await writer.WriteAsync(Samples.Batch(400, 50));
            await writer.CommitAsync();
        }
        var state = LanceDbOracle.State(uri, "mixed");
        Assert.Equal("""[{"name":"i64_idx","columns":["i64"],"indexType":"BTree"}]""", state["indices"]!.ToJsonString());
        Assert.Equal(450, state["rows"]!.GetValue<int>());
        Samples.AssertRows(await (await catalog.OpenDatasetAsync("mixed")).ReadAsync(), 0);
    }

    [Fact]
    public async Task An_append_to_a_2_2_table_is_refused_naming_both_versions_and_changes_nothing()
    {
        var options = Stores.Options("local");
        var uri = LanceDbOracle.DatasetsUri(options);
        LanceDbOracle.Run("write", uri, "newer", "create", "0", "50", "--storage", "2.2");
        var catalog = new LakeCatalog(options);

        var error = await Assert.ThrowsAsync<NotSupportedException>(async () =>
        {
            await using var writer = catalog.CreateDatasetWriter("newer", Samples.AllTypes, WriteMode.Append);
            await writer.WriteAsync(Samples.Batch(50, 10));
            await writer.CommitAsync();
        });
        Assert.Contains("2.2", error.Message);
        Assert.Contains("2.0", error.Message);
        var state = LanceDbOracle.State(uri, "newer");
        Assert.Equal(1, state["version"]!.GetValue<long>());
        Assert.Equal(50, state["rows"]!.GetValue<int>());
    }
}
