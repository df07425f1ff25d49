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

    [Theory]
    [InlineData("2.1")]
    [InlineData("2.2")]
    public async Task A_page_in_an_encoding_this_reader_does_not_understand_is_refused_at_open_naming_file_column_version_and_encoding(string version)
    {
        var options = Stores.Options("local");
        LanceDbOracle.Run("write", LanceDbOracle.DatasetsUri(options), "long", "create", "0", "500", "--long-text", "--storage", version);
        var dataset = await new LakeCatalog(options).OpenDatasetAsync("long");

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => dataset.ReadAsync());
        Assert.Contains("long.lance/data/", error.Message);
        Assert.Contains("column 'text'", error.Message);
        Assert.Contains($"file format {version}", error.Message);
        Assert.Contains("full_zip_layout of variable-width values", error.Message);
    }
}
