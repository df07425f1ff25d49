using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>Metadata that does not add up is refused with the file named; nothing vanishes or repeats silently.</summary>
public sealed class ValidationTests
{
    private static async Task<(LakeCatalog Catalog, IObjectStore Store)> WrittenAsync(int rows)
    {
        var store = Stores.Local();
        var catalog = new LakeCatalog(store);
        await using var writer = catalog.CreateDatasetWriter("checked", Samples.AllTypes);
        await writer.WriteAsync(Samples.Batch(0, rows));
        await writer.CommitAsync();
        return (catalog, store);
    }

    private static string ManifestPath(long version) => $"{LakeCatalog.DatasetPath("checked")}/{Versions.Folder}/{Versions.ManifestName(version)}";

    /// <summary>Commits version 2 as a copy of version 1 with every fragment claiming <paramref name="rows"/> rows.</summary>
    private static async Task ClaimRowsAsync(LakeCatalog catalog, IObjectStore store, long rows)
    {
        var manifest = (await catalog.OpenDatasetAsync("checked")).Manifest;
        var forged = new Manifest(manifest.Schema, manifest.Fragments.Select(f => f with { PhysicalRows = rows }).ToList(), 2, manifest.Timestamp,
            manifest.MaxFragmentId, null);
        await store.WriteAsync(ManifestPath(2), forged.Serialize());
    }

    [Theory]
    [InlineData(1_000_000_000_000L)]
    [InlineData(301L)]
    [InlineData(299L)]
    public async Task A_fragment_whose_row_count_disagrees_with_its_file_is_refused_naming_the_file(long claimed)
    {
        var (catalog, store) = await WrittenAsync(300);
        await ClaimRowsAsync(catalog, store, claimed);

        var dataset = await catalog.OpenDatasetAsync("checked");
        var whole = await Assert.ThrowsAsync<InvalidDataException>(() => dataset.ReadAsync());
        Assert.Contains(".lance/data/", whole.Message);
        Assert.Contains($"fragment 0 has {claimed}", whole.Message);
        var batched = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var _ in dataset.ReadBatchesAsync(64)) { }
        });
        Assert.Contains(".lance/data/", batched.Message);
    }

    [Fact]
    public async Task A_field_name_that_is_not_UTF8_is_refused_naming_the_manifest()
    {
        var (catalog, store) = await WrittenAsync(10);
        var bytes = await store.ReadAsync(ManifestPath(1));
        var at = bytes.AsSpan().IndexOf("flag"u8);
        bytes[at] = 0xFF;
        await store.WriteAsync(ManifestPath(1), bytes);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => catalog.OpenDatasetAsync("checked"));
        Assert.Contains(ManifestPath(1), error.Message);
        Assert.Contains("UTF-8", error.Message);
    }

    /// <summary>A flipped byte in a data file's path (seen as a NUL in the corruption run) must not reach the store as a key.</summary>
    [Theory]
    [InlineData("\0", "\\u0000")]
    [InlineData("../", "\"../")]
    [InlineData("/", "\"/")]
    public async Task A_data_file_path_that_is_not_a_relative_name_is_refused_naming_the_manifest(string damage, string shown)
    {
        var (catalog, store) = await WrittenAsync(10);
        var manifest = (await catalog.OpenDatasetAsync("checked")).Manifest;
        var bytes = await store.ReadAsync(ManifestPath(1));
        var at = bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(manifest.Fragments[0].Files[0].Path));
        System.Text.Encoding.ASCII.GetBytes(damage).CopyTo(bytes, at);
        await store.WriteAsync(ManifestPath(1), bytes);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => catalog.OpenDatasetAsync("checked"));
        Assert.Contains(ManifestPath(1), error.Message);
        Assert.Contains(shown, error.Message);
        Assert.Contains("is not a relative path under data/", error.Message);
    }

    [Theory]
    [InlineData(42, "names parent id 42, which no field has")]
    [InlineData(0, "nested types are not supported")]
    public async Task A_parent_id_that_breaks_the_field_tree_is_refused_instead_of_dropping_a_column(int parent, string expected)
    {
        var (catalog, store) = await WrittenAsync(10);
        var bytes = await store.ReadAsync(ManifestPath(1));
        // parent_id = -1 is field 4 as a ten-byte varint; rewrite the second field's in place with an over-long varint
        // of the same length, so no enclosing length changes.
        byte[] minusOne = [0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        var first = bytes.AsSpan().IndexOf(minusOne);
        var second = first + 1 + bytes.AsSpan(first + 1).IndexOf(minusOne);
        byte[] replacement = [0x20, (byte)(0x80 | parent), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        replacement.CopyTo(bytes, second);
        await store.WriteAsync(ManifestPath(1), bytes);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => catalog.OpenDatasetAsync("checked"));
        Assert.Contains(ManifestPath(1), error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("")]
    public void Top_level_names_LanceDB_refuses_are_refused_on_write(string name)
    {
        var catalog = new LakeCatalog(Stores.Local());
        var error = Assert.Throws<ArgumentException>(() => catalog.CreateDatasetWriter("dots", new Schema(new Field(name, LanceType.Int32))));
        Assert.Contains($"'{name}'", error.Message);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("datasets/../../outside")]
    [InlineData("/etc/passwd")]
    public async Task The_local_store_keeps_every_key_inside_its_root(string key)
    {
        var root = Path.Combine(Path.GetTempPath(), "aiplatform-lake-tests", Guid.NewGuid().ToString("N"), "lake");
        var store = new LocalObjectStore(root);
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(key, new byte[] { 1 }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadAsync(key));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeletePrefixAsync(key));
        Assert.False(File.Exists(Path.Combine(root, "..", "outside")));

        await store.WriteAsync("datasets/../inside", new byte[] { 2 });
        Assert.Equal(new byte[] { 2 }, await store.ReadAsync("inside"));
    }
}
