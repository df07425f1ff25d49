using System.Diagnostics;
using System.Threading.Channels;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// Collects requests that arrive close together into batches and processes one batch at a time: a batch closes when it
/// holds <c>maxBatchSize</c> requests or when its first request has waited <c>maxDelay</c>. Requests that queued while a
/// batch was processed have waited already, so under load batches leave at once and grow with the load. Each caller gets
/// its own request's answer. A batch that throws is retried request by request, so one bad request fails alone.
/// </summary>
public sealed class DynamicBatcher<TRequest, TAnswer> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TRequest>, IReadOnlyList<TAnswer>> _process;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxDelay;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _batches, _requests;

    /// <param name="process">Answers a batch: one answer per request, in order. Called from one thread at a time.</param>
    public DynamicBatcher(Func<IReadOnlyList<TRequest>, IReadOnlyList<TAnswer>> process, int maxBatchSize, TimeSpan maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, TimeSpan.Zero);
        _process = process;
        _maxBatchSize = maxBatchSize;
        _maxDelay = maxDelay;
        _loop = Task.Factory.StartNew(LoopAsync, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>Batches processed so far, and the requests in them.</summary>
    public (long Batches, long Requests) Processed => (Interlocked.Read(ref _batches), Interlocked.Read(ref _requests));

    public Task<TAnswer> SubmitAsync(TRequest request)
    {
        var pending = new Pending(request, Stopwatch.GetTimestamp());
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(DynamicBatcher<TRequest, TAnswer>), "the batcher is stopping");
        return pending.Answer.Task;
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_maxBatchSize);
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < _maxBatchSize && reader.TryRead(out var next)) batch.Add(next);
            await FillUntilDeadlineAsync(reader, batch);
            Process(batch);
            batch.Clear();
        }
    }

    private async Task FillUntilDeadlineAsync(ChannelReader<Pending> reader, List<Pending> batch)
    {
        while (batch.Count < _maxBatchSize)
        {
            var remaining = _maxDelay - Stopwatch.GetElapsedTime(batch[0].ArrivedAt);
            if (remaining <= TimeSpan.Zero) return;
            using var timeout = new CancellationTokenSource(remaining);
            try
            {
                if (!await reader.WaitToReadAsync(timeout.Token)) return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            while (batch.Count < _maxBatchSize && reader.TryRead(out var next)) batch.Add(next);
        }
    }

    private void Process(List<Pending> batch)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _requests, batch.Count);
        try
        {
            var answers = _process(batch.Select(p => p.Request).ToList());
            if (answers.Count != batch.Count)
                throw new InvalidOperationException($"the batch of {batch.Count} requests got {answers.Count} answers");
            for (var i = 0; i < batch.Count; i++) batch[i].Answer.TrySetResult(answers[i]);
        }
        catch (Exception) when (batch.Count > 1)
        {
            foreach (var pending in batch) Process([pending]);
        }
        catch (Exception e)
        {
            batch[0].Answer.TrySetException(e);
        }
    }

    /// <summary>Takes no more requests, answers those already queued, and returns when the last batch is done.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private sealed record Pending(TRequest Request, long ArrivedAt)
    {
        public TaskCompletionSource<TAnswer> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
