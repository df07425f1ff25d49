using System.Text.Json.Nodes;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>Tables LanceDB writes in Lance file format 2.1 and 2.2 (its defaults), read here value by value like LanceDB reads them.</summary>
public class V21ReadTests
{
    public static TheoryData<string, string> StoresAndVersions => new()
    {
        { "local", "2.1" }, { "local", "2.2" }, { "s3", "2.1" }, { "s3", "2.2" },
    };

    private static async Task<RecordBatch> AssertReadsLikeLanceDb(LakeOptions options, string table)
    {
        var ours = await (await new LakeCatalog(options).OpenDatasetAsync(table)).ReadAsync();
        OracleRows.AssertSame(LanceDbOracle.Read(LanceDbOracle.DatasetsUri(options), table), ours);
        return ours;
    }

    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Every_supported_type_with_and_without_nulls_reads_like_LanceDB(string kind, string version)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write", LanceDbOracle.DatasetsUri(options), "all", "create", "0", "1000", "--storage", version);
        await AssertReadsLikeLanceDb(options, "all");
    }

    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Null_items_inside_vectors_null_vectors_and_an_all_null_vector_column_read_like_LanceDB(string kind, string version)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write-vectors", LanceDbOracle.DatasetsUri(options), "vectors", "3000", "--storage", version);
        var ours = await AssertReadsLikeLanceDb(options, "vectors");
        Assert.Equal(new float?[] { 1, null, 3 }, ours.Column<FixedSizeListFloat32Column>("vec")[1]);
        Assert.Null(ours.Column<FixedSizeListFloat32Column>("vec")[4]);
        Assert.Null(ours.Column<FixedSizeListFloat32Column>("empty")[0]);
    }

    /// <summary>
    /// 200,000 rows in 20 record batches: several pages per column (at different rows per column), many chunks,
    /// fsst-compressed strings and bit-packed definition levels. On S3 20,000 rows (one page per column, many chunks):
    /// the local S3 service has no multipart uploads, which LanceDB uses for files over 5 MB.
    /// </summary>
    [Theory]
    [InlineData("local", "2.1", 200_000)]
    [InlineData("local", "2.2", 200_000)]
    [InlineData("s3", "2.1", 20_000)]
    [InlineData("s3", "2.2", 20_000)]
    public async Task A_large_table_of_many_pages_and_chunks_reads_like_LanceDB_whole_and_in_small_batches(string kind, string version, int rows)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write", LanceDbOracle.DatasetsUri(options), "large", "create", "0", rows.ToString(), "--batches", "20", "--storage", version);
        var ours = await AssertReadsLikeLanceDb(options, "large");

        var dataset = await new LakeCatalog(options).OpenDatasetAsync("large");
        var row = 0;
        await foreach (var batch in dataset.ReadBatchesAsync(4_000))
        {
            foreach (var field in ours.Schema.Fields)
                for (var i = 0; i < batch.Length; i++)
                    Assert.True(JsonNode.DeepEquals(OracleRows.Value(ours[field.Name], row + i), OracleRows.Value(batch[field.Name], i)),
                        $"column '{field.Name}' row {row + i} differs between the whole read and the batched one");
            row += batch.Length;
        }
        Assert.Equal(ours.Length, row);
    }

    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Run_length_encoded_values_and_levels_and_fixed_width_dictionaries_read_like_LanceDB(string kind, string version)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write-runs", LanceDbOracle.DatasetsUri(options), "runs", "20000", "--storage", version);
        await AssertReadsLikeLanceDb(options, "runs");
    }

    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Long_strings_stored_whole_per_row_read_like_LanceDB(string kind, string version)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write", LanceDbOracle.DatasetsUri(options), "long", "create", "0", "2000", "--long-text", "--storage", version);
        await AssertReadsLikeLanceDb(options, "long");
    }

    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Floats_stored_as_byte_streams_under_zstd_read_like_LanceDB(string kind, string version)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write-bss", LanceDbOracle.DatasetsUri(options), "split", "5000", "--storage", version);
        var ours = await AssertReadsLikeLanceDb(options, "split");
        Assert.Equal((float)(Math.Sin(4999) * 1000), ours.Column<Float32Column>("f").Values[4999]);
    }

    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Strings_over_32_KB_each_compressed_on_its_own_read_like_LanceDB(string kind, string version)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write", LanceDbOracle.DatasetsUri(options), "huge", "create", "0", "100", "--huge-text", "--storage", version);
        var ours = await AssertReadsLikeLanceDb(options, "huge");
        Assert.Contains(Enumerable.Range(0, ours.Length), row => ours.Column<StringColumn>("text")[row]?.Length > 32 * 1024);
    }

    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Columns_whose_rows_all_hold_one_value_read_like_LanceDB(string kind, string version)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write-constant", LanceDbOracle.DatasetsUri(options), "constant", "5000", "--with-string", "--storage", version);
        var ours = await AssertReadsLikeLanceDb(options, "constant");
        Assert.All(ours.Column<Int32Column>("c").Values, v => Assert.Equal(7, v));
        var strings = ours.Column<StringColumn>("s");
        Assert.All(Enumerable.Range(0, ours.Length), row => Assert.Equal("same", strings[row]));
        Assert.All(Enumerable.Range(0, ours.Length), row => Assert.True(ours.Column<BoolColumn>("yes")[row]));
        Assert.All(Enumerable.Range(0, ours.Length), row => Assert.False(ours.Column<BoolColumn>("no")[row]));
    }

    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Dictionary_encoded_strings_read_like_LanceDB(string kind, string version)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write", LanceDbOracle.DatasetsUri(options), "classes", "create", "0", "5000", "--dictionary", "--storage", version);
        await AssertReadsLikeLanceDb(options, "classes");
    }

    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Wide_vectors_stored_whole_per_row_with_null_items_and_null_vectors_read_like_LanceDB(string kind, string version)
    {
        var options = Stores.Options(kind);
        LanceDbOracle.Run("write-vectors", LanceDbOracle.DatasetsUri(options), "wide", "3000", "--dimension", "128", "--storage", version);
        var ours = await AssertReadsLikeLanceDb(options, "wide");
        Assert.Null(ours.Column<FixedSizeListFloat32Column>("vec")[1]![1]);
        Assert.Equal(129, ours.Column<FixedSizeListFloat32Column>("vec")[2]![127]);
        Assert.Null(ours.Column<FixedSizeListFloat32Column>("vec")[4]);
    }

    /// <summary>
    /// Vectors without nulls: full-zip rows with no control words, read straight into the column's array. Whole, by row
    /// ranges inside the page and in batches (a remote store shares the page between batches, a local one reads each
    /// batch's rows), every value lands where it belongs.
    /// </summary>
    [Theory]
    [MemberData(nameof(StoresAndVersions))]
    public async Task Vectors_stored_as_they_are_read_whole_by_ranges_and_in_batches_with_every_value_in_place(string kind, string version)
    {
        const int rows = 3_000, dimension = 256;
        var options = Stores.Options(kind);
        LanceDbOracle.Run("bench-write", LanceDbOracle.DatasetsUri(options), "plain", rows.ToString(), dimension.ToString(), "--storage", version);
        var dataset = await new LakeCatalog(options).OpenDatasetAsync("plain");

        // As the oracle computes them: a double, stored as a float.
        static float Expected(long row, int item) => (float)((row * 31 + item * 17) % 255 / 255.0);
        static void AssertRows(RecordBatch batch, long first)
        {
            var vectors = batch.Column<FixedSizeListFloat32Column>("image");
            for (var i = 0; i < batch.Length; i++)
            {
                Assert.Equal(first + i, batch.Column<Int64Column>("id").Values[i]);
                for (var item = 0; item < dimension; item++)
                    if (vectors.Row(i)[item] != Expected(first + i, item)) Assert.Fail($"row {first + i} item {item} is {vectors.Row(i)[item]}, not {Expected(first + i, item)}");
            }
        }
        var whole = await dataset.ReadAsync();
        Assert.Equal(rows, whole.Length);
        AssertRows(whole, 0);
        foreach (var (offset, limit) in new[] { (0L, 1L), (1_234L, 567L), (rows - 1L, 1L) }) AssertRows(await dataset.ReadAsync(null, offset, limit), offset);
        long row = 0;
        await foreach (var batch in dataset.ReadBatchesAsync(97))
        {
            AssertRows(batch, row);
            row += batch.Length;
        }
        Assert.Equal(rows, row);
    }

    [Theory]
    [InlineData("2.1")]
    [InlineData("2.2")]
    public async Task A_page_in_an_encoding_this_reader_does_not_understand_is_refused_at_open_naming_file_column_version_and_encoding(string version)
    {
        var options = Stores.Options("local");
        LanceDbOracle.Run("write-null-items", LanceDbOracle.DatasetsUri(options), "unknown", "300", "--storage", version);
        var dataset = await new LakeCatalog(options).OpenDatasetAsync("unknown");

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => dataset.ReadAsync());
        Assert.Contains("unknown.lance/data/", error.Message);
        Assert.Contains("column 'v'", error.Message);
        Assert.Contains($"file format {version}", error.Message);
        Assert.Contains("constant", error.Message);
    }
}
