using AiPlatform.ScriptRunner;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The serve worker's batcher alone: who gets which answer, how big batches get, and what a failing batch costs.</summary>
public sealed class DynamicBatcherTests
{
    [Fact]
    public async Task Requests_queued_during_a_batch_share_the_next_ones_and_each_caller_gets_its_own_answer()
    {
        var firstBatchRunning = new ManualResetEventSlim();
        var releaseFirstBatch = new ManualResetEventSlim();
        var batchSizes = new List<int>();
        await using var batcher = new DynamicBatcher<int, string>(requests =>
        {
            lock (batchSizes) batchSizes.Add(requests.Count);
            firstBatchRunning.Set();
            releaseFirstBatch.Wait();
            return requests.Select(r => $"answer to {r}").ToList();
        }, maxBatchSize: 64, maxDelay: TimeSpan.Zero);

        var first = batcher.SubmitAsync(-1);
        firstBatchRunning.Wait();
        // Everything below arrives while the model is busy: it must leave in full batches, not one by one.
        var answers = Enumerable.Range(0, 500).AsParallel().Select(i => (Request: i, Answer: batcher.SubmitAsync(i))).ToList();
        releaseFirstBatch.Set();

        Assert.Equal("answer to -1", await first);
        foreach (var (request, answer) in answers) Assert.Equal($"answer to {request}", await answer);
        Assert.All(batchSizes, size => Assert.InRange(size, 1, 64));
        Assert.Equal(501, batchSizes.Sum());
        Assert.Equal(1 + (int)Math.Ceiling(500 / 64.0), batchSizes.Count);
        Assert.Equal((batchSizes.Count, 501L), batcher.Processed);
    }

    [Fact]
    public async Task A_failing_batch_is_retried_request_by_request_so_only_the_bad_request_fails()
    {
        var gate = new ManualResetEventSlim();
        var blocked = new ManualResetEventSlim();
        var calls = new List<int[]>();
        await using var batcher = new DynamicBatcher<int, int>(requests =>
        {
            lock (calls) calls.Add(requests.ToArray());
            blocked.Set();
            gate.Wait();
            if (requests.Contains(13)) throw new InvalidOperationException("13 breaks the model");
            return requests.Select(r => r * 10).ToList();
        }, maxBatchSize: 8, maxDelay: TimeSpan.Zero);

        var blocker = batcher.SubmitAsync(0);
        blocked.Wait();
        var batchMates = new[] { 11, 12, 13, 14, 15 }.Select(batcher.SubmitAsync).ToList();
        gate.Set();

        Assert.Equal(0, await blocker);
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => batchMates[2]);
        Assert.Equal("13 breaks the model", failed.Message);
        Assert.Equal(new[] { 110, 120, 140, 150 }, await Task.WhenAll(batchMates.Where((_, i) => i != 2)));
        // The batch of five failed once, then each of its requests ran alone.
        Assert.Contains(calls, c => c.Length == 5);
        Assert.Equal(5, calls.Count(c => c.Length == 1 && c[0] >= 11));
    }

    [Fact]
    public async Task A_predictor_that_answers_the_wrong_number_of_requests_fails_them_instead_of_misrouting()
    {
        // Three requests answered with one value: which caller it belongs to is unknown, so each is asked alone.
        await using var batcher = new DynamicBatcher<int, int>(requests => [requests[0] * 10], maxBatchSize: 8, maxDelay: TimeSpan.FromMilliseconds(200));
        Assert.Equal(new[] { 10, 20, 30 }, await Task.WhenAll(new[] { 1, 2, 3 }.Select(batcher.SubmitAsync)));

        await using var wrong = new DynamicBatcher<int, int>(requests => [], maxBatchSize: 8, maxDelay: TimeSpan.Zero);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => wrong.SubmitAsync(1));
        Assert.Contains("got 0 answers", error.Message);
    }

    [Fact]
    public async Task Stopping_answers_the_requests_already_queued_and_refuses_new_ones()
    {
        var gate = new ManualResetEventSlim();
        var batcher = new DynamicBatcher<int, int>(requests =>
        {
            gate.Wait();
            return requests.ToList();
        }, maxBatchSize: 2, maxDelay: TimeSpan.Zero);
        var queued = Enumerable.Range(0, 5).Select(batcher.SubmitAsync).ToList();
        var stopping = batcher.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => { _ = batcher.SubmitAsync(99); });
        gate.Set();
        await stopping;
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, await Task.WhenAll(queued));
    }
}
