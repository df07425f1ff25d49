using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using Xunit;

namespace AiPlatform.Lake.Tests;

public sealed class DatasetTests
{
    [Theory]
    [MemberData(nameof(Stores.Kinds), MemberType = typeof(Stores))]
    public async Task Every_type_round_trips_with_nulls_across_versions_and_time_travel(string store)
    {
        var catalog = new LakeCatalog(Stores.Open(store));
        await using (var writer = catalog.CreateDatasetWriter("all", Samples.AllTypes))
        {
            await writer.WriteAsync(Samples.Batch(0, 500));
            await writer.WriteAsync(Samples.Batch(500, 700));
            Assert.Equal(1, await writer.CommitAsync());
        }
        await using (var writer = catalog.CreateDatasetWriter("all", Samples.AllTypes, WriteMode.Append))
        {
            await writer.WriteAsync(Samples.Batch(1200, 300));
            Assert.Equal(2, await writer.CommitAsync());
        }

        var latest = await catalog.OpenDatasetAsync("all");
        Assert.Equal(2, latest.Version);
        Assert.Equal(1500, latest.CountRows);
        Samples.AssertRows(await latest.ReadAsync(), 0);

        var first = await catalog.OpenDatasetAsync("all", version: 1);
        Assert.Equal(1200, first.CountRows);
        Samples.AssertRows(await first.ReadAsync(), 0);

        await using (var writer = catalog.CreateDatasetWriter("all", Samples.AllTypes, WriteMode.Overwrite))
        {
            await writer.WriteAsync(Samples.Batch(5000, 10));
            Assert.Equal(3, await writer.CommitAsync());
        }
        var overwritten = await catalog.OpenDatasetAsync("all");
        Assert.Equal(10, overwritten.CountRows);
        Samples.AssertRows(await overwritten.ReadAsync(), 5000);
        Samples.AssertRows(await (await catalog.OpenDatasetAsync("all", 2)).ReadAsync(), 0);
    }

    [Fact]
    public async Task Row_ranges_and_column_subsets_read_only_what_is_asked()
    {
        var catalog = new LakeCatalog(Stores.Local());
        await using (var writer = catalog.CreateDatasetWriter("ranges", Samples.AllTypes))
        {
            for (var start = 0; start < 40_000; start += 10_000) await writer.WriteAsync(Samples.Batch(start, 10_000));
            await writer.CommitAsync();
        }
        var dataset = await catalog.OpenDatasetAsync("ranges");
        var slice = await dataset.ReadAsync(["text", "i64"], offset: 12_345, limit: 100);
        Assert.Equal(["text", "i64"], slice.Schema.Fields.Select(f => f.Name));
        Assert.Equal(100, slice.Length);
        Assert.Equal(12_345 * 1_000_000_007L, slice.Column<Int64Column>("i64")[0]);

        var total = 0;
        long expected = 0;
        await foreach (var batch in dataset.ReadBatchesAsync(4096, ["i64"]))
        {
            foreach (var value in batch.Column<Int64Column>("i64").Values) Assert.Equal(expected++ * 1_000_000_007L, value);
            total += batch.Length;
        }
        Assert.Equal(40_000, total);
    }

    [Fact]
    public async Task A_writer_disposed_without_commit_leaves_nothing_visible()
    {
        var store = Stores.Local();
        var catalog = new LakeCatalog(store);
        await using (var writer = catalog.CreateDatasetWriter("abandoned", Samples.AllTypes))
            await writer.WriteAsync(Samples.Batch(0, 100));
        Assert.Null(await catalog.GetDatasetAsync("abandoned"));
        Assert.Empty(await store.ListAsync("datasets/abandoned.lance/data"));
        await Assert.ThrowsAsync<DatasetNotFoundException>(() => catalog.OpenDatasetAsync("abandoned"));
    }

    [Theory]
    [MemberData(nameof(Stores.Kinds), MemberType = typeof(Stores))]
    public async Task Concurrent_appends_all_land_and_a_concurrent_overwrite_conflicts(string store)
    {
        var catalog = new LakeCatalog(Stores.Open(store));
        await using (var seed = catalog.CreateDatasetWriter("busy", Samples.AllTypes))
        {
            await seed.WriteAsync(Samples.Batch(0, 10));
            await seed.CommitAsync();
        }
        var writers = Enumerable.Range(0, 4).Select(_ => catalog.CreateDatasetWriter("busy", Samples.AllTypes, WriteMode.Append)).ToList();
        foreach (var writer in writers) await writer.WriteAsync(Samples.Batch(0, 25));
        await Task.WhenAll(writers.Select(w => w.CommitAsync()));
        foreach (var writer in writers) await writer.DisposeAsync();
        var dataset = await catalog.OpenDatasetAsync("busy");
        Assert.Equal(10 + 4 * 25, dataset.CountRows);
        Assert.Equal(5, dataset.Version);

        // Two overwrites prepared against the same version: the second to commit must fail loudly, not silently win.
        await using var first = catalog.CreateDatasetWriter("busy", Samples.AllTypes, WriteMode.Overwrite);
        await using var second = catalog.CreateDatasetWriter("busy", Samples.AllTypes, WriteMode.Overwrite);
        await first.WriteAsync(Samples.Batch(0, 1));
        await second.WriteAsync(Samples.Batch(0, 2));
        await first.CommitAsync();
        var conflict = await Assert.ThrowsAsync<LakeConflictException>(() => second.CommitAsync());
        Assert.Contains("version 5 to 6", conflict.Message);
        var after = await catalog.OpenDatasetAsync("busy");
        Assert.Equal(6, after.Version);
        Assert.Equal(1, after.CountRows);
    }

    [Fact]
    public async Task Catalog_lists_describes_and_deletes_datasets_and_models()
    {
        var catalog = new LakeCatalog(Stores.Local());
        await using (var writer = catalog.CreateDatasetWriter("listed", Samples.AllTypes))
        {
            await writer.WriteAsync(Samples.Batch(0, 42));
            await writer.CommitAsync();
        }
        var info = Assert.Single(await catalog.ListDatasetsAsync());
        Assert.Equal("listed", info.Id);
        Assert.Equal(42, info.NumRows);
        Assert.Equal("fixed_size_list<float32, 4>", info.Schema["vector"]);
        Assert.Equal("int64", info.Schema["i64"]);
        Assert.True(info.SizeBytes > 0);
        Assert.Equal(1, info.Versions);

        var version = await catalog.Models.SaveAsync("cnn", new ModelArtifact("ReferenceCnn", [1, 2, 3],
            new() { ["test_accuracy"] = 0.9 }, new() { ["epochs"] = 2 }, new() { ["dataset"] = "listed", ["dataset_version"] = 1 }));
        Assert.Equal(1, version);
        var model = await catalog.Models.LoadAsync("cnn");
        Assert.Equal([1, 2, 3], model.Weights);
        Assert.Equal(0.9, model.Metrics["test_accuracy"]!.GetValue<double>());
        var modelInfo = Assert.Single(await catalog.ListModelsAsync());
        Assert.Equal("ReferenceCnn", modelInfo.Model!.Architecture);

        Assert.True(await catalog.DeleteDatasetAsync("listed"));
        Assert.False(await catalog.DeleteDatasetAsync("listed"));
        Assert.Empty(await catalog.ListDatasetsAsync());
        Assert.Throws<ArgumentException>(() => catalog.CreateDatasetWriter("../escape", Samples.AllTypes));
    }

    [Fact]
    public async Task A_listed_model_shows_its_newest_version_right_after_a_save_and_each_caller_gets_its_own_metrics()
    {
        var catalog = new LakeCatalog(Stores.Local());
        await catalog.Models.SaveAsync("kept", new ModelArtifact("Mlp", [1], new() { ["accuracy"] = 0.5 }, new(), new()));
        var first = Assert.Single(await catalog.ListModelsAsync());
        first.Model!.Metrics["accuracy"] = 0.0;
        Assert.Equal(0.5, (await catalog.GetModelAsync("kept"))!.Model!.Metrics["accuracy"]!.GetValue<double>());

        await catalog.Models.SaveAsync("kept", new ModelArtifact("Mlp", [2], new() { ["accuracy"] = 0.75 }, new(), new()));
        var second = Assert.Single(await catalog.ListModelsAsync());
        Assert.Equal((2, 2L), (second.Versions, second.LatestVersion));
        Assert.Equal(0.75, second.Model!.Metrics["accuracy"]!.GetValue<double>());
    }
}
