using System.Text.Json.Nodes;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>Proof against LanceDB (lance 0.x Rust core, data storage version 2.0): each side reads what the other wrote.</summary>
public sealed class ReferenceImplementationTests
{
    public static TheoryData<string> StoreKinds => Stores.Kinds;

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task LanceDB_reads_every_version_this_library_wrote(string kind)
    {
        var options = Stores.Options(kind);
        var catalog = new LakeCatalog(options);
        await WriteAsync(catalog, WriteMode.Create, 0, 1500);
        await WriteAsync(catalog, WriteMode.Append, 1500, 300);
        await WriteAsync(catalog, WriteMode.Append, 1800, 200);

        var latest = LanceDbOracle.Read(LanceDbOracle.DatasetsUri(options), "mixed");
        Assert.Equal(3, latest["version"]!.GetValue<long>());
        AssertOracleRows(latest, 0, 2000);
        var first = LanceDbOracle.Read(LanceDbOracle.DatasetsUri(options), "mixed", version: 1);
        AssertOracleRows(first, 0, 1500);
        Assert.Equal("FixedSizeList[4]<Float32>", latest["types"]!["vector"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task This_library_reads_what_LanceDB_wrote_including_dictionary_strings_and_many_pages(string kind)
    {
        var options = Stores.Options(kind);
        var uri = LanceDbOracle.DatasetsUri(options);
        LanceDbOracle.Write(uri, "theirs", "create", 0, 12_000);
        LanceDbOracle.Write(uri, "theirs", "append", 12_000, 500);
        LanceDbOracle.Write(uri, "labels", "create", 0, 10_000, dictionary: true);

        var catalog = new LakeCatalog(options);
        var theirs = await catalog.OpenDatasetAsync("theirs");
        Assert.Equal(2, theirs.Version);
        Assert.Equal(12_500, theirs.CountRows);
        Samples.AssertRows(await theirs.ReadAsync(), 0);
        Samples.AssertRows(await theirs.ReadAsync(offset: 11_990, limit: 20), 11_990);
        Assert.Equal(12_000, (await catalog.OpenDatasetAsync("theirs", version: 1)).CountRows);

        var labels = await (await catalog.OpenDatasetAsync("labels")).ReadAsync(["text"]);
        var text = labels.Column<StringColumn>("text");
        for (var r = 0; r < 10_000; r++) Assert.Equal(Samples.IsNull(r) ? null : $"class {r % 10}", text[r]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task Appends_alternating_between_both_implementations_stay_readable_by_both(string kind)
    {
        var options = Stores.Options(kind);
        var uri = LanceDbOracle.DatasetsUri(options);
        var catalog = new LakeCatalog(options);
        await WriteAsync(catalog, WriteMode.Create, 0, 100);
        Assert.Equal(2, LanceDbOracle.Write(uri, "mixed", "append", 100, 100));
        await WriteAsync(catalog, WriteMode.Append, 200, 100);
        Assert.Equal(4, LanceDbOracle.Write(uri, "mixed", "append", 300, 100));

        var ours = await catalog.OpenDatasetAsync("mixed");
        Assert.Equal(4, ours.Version);
        Samples.AssertRows(await ours.ReadAsync(), 0);
        AssertOracleRows(LanceDbOracle.Read(uri, "mixed"), 0, 400);
    }

    private static async Task WriteAsync(LakeCatalog catalog, WriteMode mode, long first, int rows)
    {
        await using var writer = catalog.CreateDatasetWriter("mixed", Samples.AllTypes, mode);
        for (var start = 0; start < rows; start += 700) await writer.WriteAsync(Samples.Batch(first + start, Math.Min(700, rows - start)));
        await writer.CommitAsync();
    }

    private static void AssertOracleRows(JsonNode read, long first, int rows)
    {
        Assert.Equal(rows, read["rows"]!.GetValue<int>());
        var c = read["columns"]!;
        for (var i = 0; i < rows; i++)
        {
            var r = first + i;
            var isNull = Samples.IsNull(r);
            Assert.Equal(isNull ? null : (int?)(r * 3), c["i32"]![i]?.GetValue<int>());
            Assert.Equal((r * 1_000_000_007L).ToString(), c["i64"]![i]!.GetValue<string>());
            Assert.Equal(isNull ? null : r / 4f, (float?)c["f32"]![i]?.GetValue<double>());
            Assert.Equal(isNull ? null : r / 3.0, c["f64"]![i]?.GetValue<double>());
            Assert.Equal(isNull ? null : r % 2 == 0, c["flag"]![i]?.GetValue<bool>());
            Assert.Equal(isNull ? null : $"row {r} ü", c["text"]![i]?.GetValue<string>());
            Assert.Equal(isNull ? null : Convert.ToBase64String(BitConverter.GetBytes(r)), c["blob"]![i]?.GetValue<string>());
            Assert.Equal(isNull ? null : (1_700_000_000_000_000L + r) / 1000.0, c["at"]![i]?.GetValue<double>());
            Assert.Equal(new[] { r, r + 0.5f, -r, 1f }, c["vector"]![i]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray());
        }
    }
}
