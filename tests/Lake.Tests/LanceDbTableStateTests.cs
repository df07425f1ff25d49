using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>
/// Tables as LanceDB leaves them after everyday operations (deletes, updates, added and dropped columns, compaction,
/// vectors with null items) read value for value as LanceDB reads them; what this library cannot decode is refused.
/// </summary>
public sealed class LanceDbTableStateTests
{
    public static TheoryData<string> StoreKinds => Stores.Kinds;

    private static async Task AssertReadsLikeLanceDb(LakeOptions options, string table)
    {
        var ours = await (await new LakeCatalog(options).OpenDatasetAsync(table)).ReadAsync();
        OracleRows.AssertSame(LanceDbOracle.Read(LanceDbOracle.DatasetsUri(options), table), ours);
    }

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task Null_items_inside_vectors_and_an_all_null_vector_column_read_as_nulls(string kind)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write-vectors", LanceDbOracle.DatasetsUri(options), "vectors", "3000");
        await AssertReadsLikeLanceDb(options, "vectors");

        var batch = await (await new LakeCatalog(options).OpenDatasetAsync("vectors")).ReadAsync(offset: 1, limit: 1);
        Assert.Equal(new float?[] { 1, null, 3 }, batch.Column<FixedSizeListFloat32Column>("vec")[0]);
        Assert.Null(batch.Column<FixedSizeListFloat32Column>("empty")[0]);
    }

    [Fact]
    public async Task Vectors_with_null_items_written_here_read_back_the_same_in_LanceDB()
    {
        var options = Stores.Options("local");
        var catalog = new LakeCatalog(options);
        var schema = new Schema(new Field("id", LanceType.Int64, Nullable: false), new Field("vec", LanceType.FixedSizeListFloat32(3)));
        await using (var writer = catalog.CreateDatasetWriter("ours", schema))
        {
            await writer.WriteAsync(new RecordBatch(schema, [
                new Int64Column([0, 1, 2]),
                new FixedSizeListFloat32Column(3, [4, 0, 6, 1, 2, 3, 0, 0, 0], [true, true, false], [true, false, true, true, true, true, true, true, true]),
            ]));
            await writer.CommitAsync();
        }
        var theirs = LanceDbOracle.Read(LanceDbOracle.DatasetsUri(options), "ours");
        Assert.Equal("[[4,null,6],[1,2,3],null]", theirs["columns"]!["vec"]!.ToJsonString());
        await AssertReadsLikeLanceDb(options, "ours");
    }

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task Deleted_and_updated_rows_are_skipped_with_both_kinds_of_deletion_file(string kind)
    {
        var options = Stores.Options(kind);
        var uri = LanceDbOracle.DatasetsUri(options);
        LanceDbOracle.Write(uri, "edited", "create", 0, 12_000);
        LanceDbOracle.Run("delete", uri, "edited", "i64 < 5000000070");           // rows 0-4: an Arrow array file
        await AssertReadsLikeLanceDb(options, "edited");
        LanceDbOracle.Run("delete", uri, "edited", "i64 > 6000000042000");        // over 5,000 rows: a Roaring bitmap
        LanceDbOracle.Run("update", uri, "edited", "i64 < 20000000140", "text", "'updated'");
        var store = ObjectStores.Open(options);
        var deletions = (await store.ListAsync("datasets/edited.lance/_deletions")).Select(o => Path.GetExtension(o.Path)).Distinct().Order().ToList();
        Assert.Equal([".arrow", ".bin"], deletions);

        await AssertReadsLikeLanceDb(options, "edited");
        var dataset = await new LakeCatalog(options).OpenDatasetAsync("edited");
        var batches = new List<RecordBatch>();
        await foreach (var batch in dataset.ReadBatchesAsync(333)) batches.Add(batch);
        Assert.Equal(dataset.CountRows, batches.Sum(b => b.Length));
        OracleRows.AssertSame(LanceDbOracle.Read(uri, "edited"), ConcatBatches(batches));
    }

    [Fact]
    public async Task Added_all_null_and_dropped_columns_and_a_compacted_table_read_like_LanceDB()
    {
        var options = Stores.Options("local");
        var uri = LanceDbOracle.DatasetsUri(options);
        LanceDbOracle.Write(uri, "evolved", "create", 0, 700);
        LanceDbOracle.Write(uri, "evolved", "append", 700, 300);
        LanceDbOracle.Run("add-null-column", uri, "evolved", "score");
        LanceDbOracle.Run("drop-columns", uri, "evolved", "blob,f64");
        LanceDbOracle.Run("delete", uri, "evolved", "i32 < 300");
        await AssertReadsLikeLanceDb(options, "evolved");
        var dataset = await new LakeCatalog(options).OpenDatasetAsync("evolved");
        Assert.Equal(["i32", "i64", "f32", "flag", "text", "at", "vector", "score"], dataset.Schema.Fields.Select(f => f.Name));

        LanceDbOracle.Run("compact", uri, "evolved");
        await AssertReadsLikeLanceDb(options, "evolved");
    }

    private static RecordBatch ConcatBatches(List<RecordBatch> batches) =>
        new(batches[0].Schema, batches[0].Schema.Fields.Select((f, c) => ColumnConcat.Concat(f.Type, batches.Select(b => b.Columns[c]).ToList())).ToList());
}
