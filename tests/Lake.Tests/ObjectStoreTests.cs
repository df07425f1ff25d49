using System.Security.Cryptography;
using System.Text;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>The object-store contract, the same on a folder and on S3.</summary>
public sealed class ObjectStoreTests
{
    public static TheoryData<string> StoreKinds => Stores.Kinds;

    /// <summary>
    /// Commits rest on this: of writers racing to create one manifest, exactly one wins and its bytes are what stays.
    /// A check-then-rename would let two succeed and the later one replace the earlier, silently losing a commit.
    /// </summary>
    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task Racing_creates_of_one_key_let_exactly_one_win_and_keep_its_bytes(string kind)
    {
        var store = Stores.Open(kind);
        var rounds = kind == "local" ? 300 : 15;
        const int racers = 6;
        for (var round = 0; round < rounds; round++)
        {
            var key = $"race/{round}.manifest";
            using var start = new Barrier(racers);
            var results = await Task.WhenAll(Enumerable.Range(0, racers).Select(racer => Task.Run(async () =>
            {
                start.SignalAndWait();
                return (Racer: racer, Won: await store.CreateIfAbsentAsync(key, Encoding.UTF8.GetBytes($"racer {racer}")));
            })));
            var winners = results.Where(r => r.Won).Select(r => r.Racer).ToList();
            Assert.True(winners.Count == 1, $"round {round}: {winners.Count} creates of {key} succeeded ({string.Join(", ", winners)})");
            Assert.Equal($"racer {winners[0]}", Encoding.UTF8.GetString(await store.ReadAsync(key)));
        }
    }

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task A_create_over_an_existing_object_is_refused_and_leaves_it_as_it_was(string kind)
    {
        var store = Stores.Open(kind);
        await store.WriteAsync("v/1.manifest", "written"u8.ToArray());
        Assert.False(await store.CreateIfAbsentAsync("v/1.manifest", "late"u8.ToArray()));
        Assert.Equal("written", Encoding.UTF8.GetString(await store.ReadAsync("v/1.manifest")));

        Assert.True(await store.CreateIfAbsentAsync("v/2.manifest", "first"u8.ToArray()));
        Assert.False(await store.CreateIfAbsentAsync("v/2.manifest", "second"u8.ToArray()));
        Assert.Equal("first", Encoding.UTF8.GetString(await store.ReadAsync("v/2.manifest")));
    }

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task Ranged_reads_return_exactly_the_bytes_asked_for(string kind)
    {
        var store = Stores.Open(kind);
        var bytes = RandomBytes(1 << 20, seed: 1);
        await store.WriteAsync("file.lance", bytes);

        foreach (var (offset, length) in new[] { (0L, 1), (12_345L, 1_000), (bytes.Length - 1L, 1), (0L, bytes.Length), (77L, 0) })
            Assert.Equal(bytes.AsSpan((int)offset, length).ToArray(), await store.ReadRangeAsync("file.lance", offset, length));
        await Assert.ThrowsAnyAsync<Exception>(() => store.ReadRangeAsync("file.lance", bytes.Length - 10L, 20));
    }

    /// <summary>20 MiB goes up in two parts on S3 (16 MiB each); a range across the part boundary reads back exact.</summary>
    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task A_large_upload_reads_back_bit_exact_whole_streamed_and_in_a_range_across_parts(string kind)
    {
        var store = Stores.Open(kind);
        var bytes = RandomBytes(20 << 20, seed: 2);
        var local = Path.Combine(Path.GetTempPath(), $"aiplatform-upload-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(local, bytes);

        await store.UploadAsync("data/big.lance", local);

        Assert.False(File.Exists(local), "the uploaded local file is consumed");
        Assert.Equal(bytes.Length, await store.SizeAsync("data/big.lance"));
        const int partBoundary = 16 << 20;
        Assert.Equal(bytes.AsSpan(partBoundary - 100, 200).ToArray(), await store.ReadRangeAsync("data/big.lance", partBoundary - 100, 200));
        await using (var stream = await store.OpenReadAsync("data/big.lance"))
            Assert.Equal(SHA256.HashData(bytes), await SHA256.HashDataAsync(stream));
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await store.ReadAsync("data/big.lance")));
    }

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task A_small_upload_reads_back_and_replaces_what_was_there(string kind)
    {
        var store = Stores.Open(kind);
        await store.WriteAsync("small.lance", "old"u8.ToArray());
        var local = Path.Combine(Path.GetTempPath(), $"aiplatform-upload-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(local, "new bytes"u8.ToArray());

        await store.UploadAsync("small.lance", local);

        Assert.Equal("new bytes", Encoding.UTF8.GetString(await store.ReadAsync("small.lance")));
    }

    /// <summary>More keys than one S3 listing page (1,000), next to a sibling prefix that must not leak in.</summary>
    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task Listing_and_deleting_a_prefix_cover_every_page_and_only_that_prefix(string kind)
    {
        var store = Stores.Open(kind);
        const int keys = 1_050;
        await Parallel.ForEachAsync(Enumerable.Range(0, keys), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, ct) => await store.WriteAsync($"many/{i / 100}/{i}.bin", new byte[i % 7], ct));
        await store.WriteAsync("many-more/kept.bin", new byte[3]);

        var listed = await store.ListAsync("many");
        Assert.Equal(Enumerable.Range(0, keys).Select(i => $"many/{i / 100}/{i}.bin").Order(StringComparer.Ordinal),
            listed.Select(o => o.Path).Order(StringComparer.Ordinal));
        Assert.All(listed, o => Assert.Equal(int.Parse(Path.GetFileNameWithoutExtension(o.Path)) % 7, o.Size));
        Assert.All(listed, o => Assert.InRange(o.LastModified, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(10)));

        await store.DeletePrefixAsync("many");

        Assert.Empty(await store.ListAsync("many"));
        Assert.Equal(["many-more/kept.bin"], (await store.ListAsync("many-more")).Select(o => o.Path));
    }

    [Theory]
    [MemberData(nameof(StoreKinds))]
    public async Task A_missing_object_has_no_size_cannot_be_read_and_deleting_it_is_no_error(string kind)
    {
        var store = Stores.Open(kind);
        await store.WriteAsync("present/a.bin", new byte[1]);

        Assert.Null(await store.SizeAsync("present/missing.bin"));
        await Assert.ThrowsAnyAsync<Exception>(() => store.ReadAsync("present/missing.bin"));
        await Assert.ThrowsAnyAsync<Exception>(() => store.ReadRangeAsync("present/missing.bin", 0, 1));
        await Assert.ThrowsAnyAsync<Exception>(() => store.OpenReadAsync("present/missing.bin"));
        await store.DeleteAsync("present/missing.bin");
        Assert.Empty(await store.ListAsync("absent"));

        await store.DeleteAsync("present/a.bin");
        Assert.Null(await store.SizeAsync("present/a.bin"));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
