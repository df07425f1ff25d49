using System.Text;
using Xunit;

namespace AiPlatform.Lake.Tests;

public sealed class ObjectStoreTests
{
    /// <summary>
    /// Commits rest on this: of writers racing to create one manifest, exactly one wins and its bytes are what stays.
    /// A check-then-rename would let two succeed and the later one replace the earlier, silently losing a commit.
    /// </summary>
    [Theory]
    [InlineData("local", 300)]
    [InlineData("s3", 15)]
    public async Task Racing_creates_of_one_key_let_exactly_one_win_and_keep_its_bytes(string kind, int rounds)
    {
        var store = Stores.Open(kind);
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
}
