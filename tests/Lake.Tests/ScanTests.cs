using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>A scan in batches fetches (and so decodes) each page once, like one whole read, whatever the batch size.</summary>
public sealed class ScanTests
{
    /// <summary>Counts ranged reads (page buffers, file tails) passing through to a local store.</summary>
    private sealed class CountingStore(IObjectStore inner) : IObjectStore
    {
        public int RangedReads;
        public string Uri(string path) => inner.Uri(path);
        public Task<byte[]> ReadAsync(string path, CancellationToken ct = default) => inner.ReadAsync(path, ct);
        public Task<Stream> OpenReadAsync(string path, CancellationToken ct = default) => inner.OpenReadAsync(path, ct);

        public Task<byte[]> ReadRangeAsync(string path, long offset, int length, CancellationToken ct = default)
        {
            Interlocked.Increment(ref RangedReads);
            return inner.ReadRangeAsync(path, offset, length, ct);
        }

        public Task<long?> SizeAsync(string path, CancellationToken ct = default) => inner.SizeAsync(path, ct);
        public Task UploadAsync(string path, string localFile, CancellationToken ct = default) => inner.UploadAsync(path, localFile, ct);
        public Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default) => inner.WriteAsync(path, bytes, ct);
        public Task<bool> CreateIfAbsentAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default) => inner.CreateIfAbsentAsync(path, bytes, ct);
        public Task<IReadOnlyList<ObjectInfo>> ListAsync(string prefix, CancellationToken ct = default) => inner.ListAsync(prefix, ct);
        public Task DeleteAsync(string path, CancellationToken ct = default) => inner.DeleteAsync(path, ct);
        public Task DeletePrefixAsync(string prefix, CancellationToken ct = default) => inner.DeletePrefixAsync(prefix, ct);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(1_000)]
    [InlineData(65_536)]
    public async Task A_scan_in_batches_fetches_each_page_once_and_returns_every_row_in_order(int batchSize)
    {
        var (store, catalog) = await WritePagesAsync();
        store.RangedReads = 0;
        var whole = await (await catalog.OpenDatasetAsync("pages")).ReadAsync();
        var wholeReads = store.RangedReads;

        store.RangedReads = 0;
        var dataset = await catalog.OpenDatasetAsync("pages");
        long next = 0;
        await foreach (var batch in dataset.ReadBatchesAsync(batchSize))
        {
            var ids = batch.Column<Int64Column>("id").Values;
            var images = batch.Column<FixedSizeListFloat32Column>("image");
            for (var i = 0; i < batch.Length; i++, next++)
            {
                Assert.Equal(next, ids[i]);
                Assert.Equal(next * 768 + 767, images.Row(i)[767]);
            }
        }
        Assert.Equal(6_000, next);
        Assert.Equal(whole.Length, next);
        Assert.Equal(wholeReads, store.RangedReads);
    }

    /// <summary>LanceDB's 2.1/2.2 files: several pages per column, each decoded once by a scan however small its batches.</summary>
    [Theory]
    [InlineData("2.1", 1_000)]
    [InlineData("2.2", 777)]
    public async Task A_scan_of_a_LanceDB_2_1_or_2_2_table_fetches_each_page_once_and_returns_the_whole_read(string version, int batchSize)
    {
        var options = Stores.Options("local");
        LanceDbOracle.Run("write", LanceDbOracle.DatasetsUri(options), "lancedb", "create", "0", "60000", "--batches", "12", "--storage", version);
        var store = new CountingStore(new LocalObjectStore(options.Root));
        var catalog = new LakeCatalog(store);
        store.RangedReads = 0;
        var whole = await (await catalog.OpenDatasetAsync("lancedb")).ReadAsync();
        var wholeReads = store.RangedReads;

        store.RangedReads = 0;
        var row = 0;
        await foreach (var batch in (await catalog.OpenDatasetAsync("lancedb")).ReadBatchesAsync(batchSize))
        {
            for (var i = 0; i < batch.Length; i++, row++)
            {
                Assert.Equal(whole.Column<Int64Column>("i64").Values[row], batch.Column<Int64Column>("i64").Values[i]);
                Assert.Equal(whole.Column<StringColumn>("text")[row], batch.Column<StringColumn>("text")[i]);
            }
        }
        Assert.Equal(whole.Length, row);
        Assert.Equal(wholeReads, store.RangedReads);
    }

    /// <summary>Loaders shuffle by block: blocks read in any order along the page ranges still fetch each page once.</summary>
    [Fact]
    public async Task Page_ranges_read_in_any_order_fetch_each_page_once_and_cover_every_row()
    {
        var (store, catalog) = await WritePagesAsync();
        store.RangedReads = 0;
        await (await catalog.OpenDatasetAsync("pages")).ReadAsync();
        var wholeReads = store.RangedReads;

        var dataset = await catalog.OpenDatasetAsync("pages");
        var ranges = await dataset.PageRangesAsync(["id", "image"]);
        Assert.True(ranges.Count > 1, $"the dataset's pages should give several ranges, got {ranges.Count}");
        Assert.Equal(Enumerable.Range(0, 6_000).Select(i => (long)i), ranges.SelectMany(r => Enumerable.Range((int)r.Offset, (int)r.Rows).Select(i => (long)i)));
        store.RangedReads = 0;
        foreach (var (offset, rows) in ranges.Reverse())
        {
            var ids = (await dataset.ReadAsync(["id", "image"], offset, rows)).Column<Int64Column>("id").Values;
            Assert.Equal(Enumerable.Range((int)offset, (int)rows).Select(i => (long)i), ids);
        }
        Assert.Equal(wholeReads, store.RangedReads);
    }

    /// <summary>6,000 vectors of 768 floats: several 8 MB pages, so batches and blocks cross page boundaries.</summary>
    private static async Task<(CountingStore Store, LakeCatalog Catalog)> WritePagesAsync()
    {
        var store = new CountingStore(Stores.Local());
        var catalog = new LakeCatalog(store);
        var schema = new Schema(new Field("id", LanceType.Int64, Nullable: false), new Field("image", LanceType.FixedSizeListFloat32(768)));
        await using (var writer = catalog.CreateDatasetWriter("pages", schema))
        {
            for (var start = 0; start < 6_000; start += 1_500)
                await writer.WriteAsync(new RecordBatch(schema, [
                    new Int64Column(Enumerable.Range(start, 1_500).Select(i => (long)i).ToArray()),
                    new FixedSizeListFloat32Column(768, Enumerable.Range(start * 768, 1_500 * 768).Select(i => (float)i).ToArray()),
                ]));
            await writer.CommitAsync();
        }
        return (store, catalog);
    }
}
