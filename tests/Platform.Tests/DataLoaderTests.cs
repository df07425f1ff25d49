using AiPlatform.Fleet;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.ScriptApi;
using AiPlatform.ScriptApi.Data;
using AiPlatform.Torch;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// The script API's data loader over a real Lance dataset, in a local lake and in S3. Row r of the test dataset has the
/// image [r, r, r, r], label r and split "test" when r is a multiple of 4, else "train".
/// </summary>
// In the platform collection: the live-tensor count is process-wide, and the other tests there make no tensors meanwhile.
[Collection(PlatformCollection.Name)]
public sealed class DataLoaderTests
{
    private const int Rows = 1000;
    private const int TrainRows = Rows - Rows / 4;

    [Theory]
    [InlineData("local")]
    [InlineData("s3")]
    public async Task The_same_seed_gives_the_same_shuffled_epochs_and_each_epoch_holds_every_row_once(string lake)
    {
        var dataset = await WriteDatasetAsync(lake);
        var options = new DataLoaderOptions { BatchSize = 32, Shuffle = true, Seed = 7, Columns = ["label"], Where = RowFilter.Equal("split", "train"), BlockRows = 128 };
        var (first, second) = (new DataLoader(dataset, options), new DataLoader(dataset, options));
        var epochs = new List<List<long>>();
        for (var epoch = 0; epoch < 2; epoch++)
        {
            var labels = await LabelsAsync(first);
            Assert.Equal(labels, await LabelsAsync(second));
            Assert.Equal(Enumerable.Range(0, Rows).Where(r => r % 4 != 0).Select(r => (long)r), labels.Order());
            Assert.NotEqual(labels.Order(), labels);
            epochs.Add(labels);
        }
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(epochs[0], await LabelsAsync(new DataLoader(dataset, options with { Seed = 8 })));
        // Unshuffled, the rows come in the dataset's order.
        Assert.Equal(Enumerable.Range(0, Rows).Where(r => r % 4 != 0).Select(r => (long)r),
            await LabelsAsync(new DataLoader(dataset, options with { Shuffle = false })));
    }

    [Fact]
    public async Task A_loader_resumed_after_some_epochs_shuffles_as_the_uninterrupted_one_does_next()
    {
        var dataset = await WriteDatasetAsync("local");
        var options = new DataLoaderOptions { BatchSize = 32, Shuffle = true, Seed = 7, Columns = ["label"], Where = RowFilter.Equal("split", "train"), BlockRows = 128 };
        var uninterrupted = new DataLoader(dataset, options);
        var firstEpoch = await LabelsAsync(uninterrupted);
        var secondEpoch = await LabelsAsync(uninterrupted);

        var resumed = new DataLoader(dataset, options with { EpochsDone = 1 });

        Assert.Equal(secondEpoch, await LabelsAsync(resumed));
        Assert.NotEqual(firstEpoch, secondEpoch);
        Assert.Equal(2, resumed.Epochs);
    }

    [Fact]
    public async Task The_last_short_batch_is_kept_or_dropped()
    {
        var dataset = await WriteDatasetAsync("local");
        var options = new DataLoaderOptions { BatchSize = 64, Columns = ["label"], Where = RowFilter.Equal("split", "train") };
        var kept = await SizesAsync(new DataLoader(dataset, options));
        Assert.Equal(Enumerable.Repeat(64, TrainRows / 64).Append(TrainRows % 64), kept);
        var dropped = await SizesAsync(new DataLoader(dataset, options with { DropLast = true }));
        Assert.Equal(Enumerable.Repeat(64, TrainRows / 64), dropped);
    }

    [Fact]
    public async Task Batches_hold_the_chosen_columns_as_tensors_after_their_transforms()
    {
        var dataset = await WriteDatasetAsync("local");
        var loader = new DataLoader(dataset, new DataLoaderOptions
        {
            BatchSize = 10, Columns = ["image", "label"],
            Transforms = new Dictionary<string, Func<Tensor, Tensor>> { ["image"] = t => (t / 2).view(-1, 1, 2, 2) },
        });
        await foreach (var batch in loader)
        {
            using (batch)
            {
                Assert.Equal(["image", "label"], batch.Columns.Order());
                Assert.Equal([10L, 1, 2, 2], batch["image"].shape);
                Assert.Equal([10L], batch["label"].shape);
                Assert.Equal(Enumerable.Range(0, 10).SelectMany(r => Enumerable.Repeat(r / 2f, 4)), batch["image"].ToArray<float>());
                Assert.Equal(Enumerable.Range(0, 10).Select(r => (long)r), batch["label"].ToArray<long>());
                Assert.Throws<KeyNotFoundException>(() => batch["split"]);
            }
            break;
        }
        Assert.Throws<ArgumentException>(() => new DataLoader(dataset, new DataLoaderOptions { Columns = ["label"], Transforms = new Dictionary<string, Func<Tensor, Tensor>> { ["image"] = t => t } }));
        await Assert.ThrowsAsync<NotSupportedException>(async () =>
        {
            await foreach (var batch in new DataLoader(dataset, new DataLoaderOptions { Columns = ["split"] })) batch.Dispose();
        });
    }

    [Theory]
    [InlineData("local")]
    [InlineData("s3")]
    public async Task Prefetched_batches_are_freed_when_an_epoch_ends_is_left_or_is_cancelled(string lake)
    {
        var dataset = await WriteDatasetAsync(lake);
        var options = new DataLoaderOptions { BatchSize = 16, Columns = ["image", "label"], Prefetch = 8, BlockRows = 100 };
        var before = Tensor.LiveCount;

        await foreach (var batch in new DataLoader(dataset, options)) batch.Dispose();
        Assert.Equal(before, Tensor.LiveCount);

        // Left after two batches, with the prefetch queue full behind them.
        var taken = 0;
        await foreach (var batch in new DataLoader(dataset, options))
        {
            batch.Dispose();
            if (++taken == 2)
            {
                await Task.Delay(200);
                break;
            }
        }
        Assert.Equal(before, Tensor.LiveCount);

        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var batch in new DataLoader(dataset, options).WithCancellation(cancel.Token))
            {
                batch.Dispose();
                await cancel.CancelAsync();
            }
        });
        Assert.Equal(before, Tensor.LiveCount);
    }

    private static async Task<List<long>> LabelsAsync(DataLoader loader)
    {
        var labels = new List<long>();
        await foreach (var batch in loader)
            using (batch)
                labels.AddRange(batch["label"].ToArray<long>());
        return labels;
    }

    private static async Task<List<int>> SizesAsync(DataLoader loader)
    {
        var sizes = new List<int>();
        await foreach (var batch in loader)
            using (batch)
                sizes.Add(batch.Size);
        return sizes;
    }

    /// <summary>The test dataset, written in two commits so it spans two fragments.</summary>
    private static async Task<LanceDataset> WriteDatasetAsync(string lake)
    {
        var catalog = new LakeCatalog(lake == "s3"
            ? new LakeOptions
            {
                Root = $"s3://{ServicesEnvironment.Get("S3__Bucket")}/loader-tests/{Guid.NewGuid():N}",
                S3ServiceUrl = ServicesEnvironment.Get("S3__ServiceUrl"),
                S3AccessKey = ServicesEnvironment.Get("S3__AccessKey"),
                S3SecretKey = ServicesEnvironment.Get("S3__SecretKey"),
            }
            : new LakeOptions { Root = Path.Combine(Path.GetTempPath(), "aiplatform-loader-tests", Guid.NewGuid().ToString("N")) });
        var schema = new Schema(new Field("image", LanceType.FixedSizeListFloat32(4), false), new Field("label", LanceType.Int64, false),
            new Field("split", LanceType.Utf8, false));
        foreach (var (from, mode) in new[] { (0, WriteMode.Create), (Rows / 2, WriteMode.Append) })
        {
            var rows = Enumerable.Range(from, Rows / 2).ToList();
            await using var writer = catalog.CreateDatasetWriter("loader", schema, mode);
            await writer.WriteAsync(new RecordBatch(schema, [
                new FixedSizeListFloat32Column(4, rows.SelectMany(r => Enumerable.Repeat((float)r, 4)).ToArray()),
                new Int64Column(rows.Select(r => (long)r).ToArray()),
                StringColumn.From(rows.Select(r => (string?)(r % 4 == 0 ? "test" : "train")).ToList()),
            ]));
            await writer.CommitAsync();
        }
        return await catalog.OpenDatasetAsync("loader");
    }
}
