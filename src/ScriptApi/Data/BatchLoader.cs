using System.Threading.Channels;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Dataset;

namespace AiPlatform.ScriptApi;

/// <summary>
/// Batches of a dataset as tensors of one engine, shaped like <c>torch.utils.data.DataLoader</c>: every enumeration is one epoch.
/// Batches are read, gathered and transformed in the background while the caller trains on the one before; at most
/// <see cref="LoaderOptions{TTensor}.Prefetch"/> wait ready, so memory stays bounded. The caller disposes each batch it takes;
/// batches still queued when the enumeration ends (finished, broken off or cancelled) are disposed by the loader.
/// </summary>
/// <remarks>
/// Shuffling is by block, as streaming loaders over columnar files do: the dataset is read in blocks of up to
/// <see cref="LoaderOptions{TTensor}.BlockRows"/> consecutive rows, blocks come in a random order and rows are shuffled within
/// their block. Each epoch has its own order, derived from the seed and the epoch's number, so two loaders with one seed
/// give the same batches epoch after epoch. Blocks end where pages end, so an epoch reads and decodes each page once.
/// Each engine's <c>DataLoader</c> is this loader with its tensors: the own engine's in <c>AiPlatform.ScriptApi.Data</c>,
/// TorchSharp's in the TorchSharp runner.
/// </remarks>
public abstract class BatchLoader<TTensor> : IAsyncEnumerable<TensorBatch<TTensor>> where TTensor : IDisposable
{
    private readonly LanceDataset _dataset;
    private readonly LoaderOptions<TTensor> _options;
    private readonly ITensorMaker<TTensor> _tensors;
    private readonly IReadOnlyList<string> _columns;
    private int _epochs;
    private IReadOnlyList<(long Offset, long Rows)>? _blocks;

    protected BatchLoader(LanceDataset dataset, LoaderOptions<TTensor> options, ITensorMaker<TTensor> tensors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Prefetch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockRows, 1);
        _dataset = dataset;
        _options = options;
        _tensors = tensors;
        ArgumentOutOfRangeException.ThrowIfNegative(options.EpochsDone);
        _epochs = options.EpochsDone;
        _columns = options.Columns ?? dataset.Schema.Fields.Select(f => f.Name).ToList();
        foreach (var column in _columns.Concat(options.Where?.Columns ?? []).Concat(options.Transforms.Keys))
            dataset.Schema.IndexOf(column);
        foreach (var column in options.Transforms.Keys.Where(c => !_columns.Contains(c)))
            throw new ArgumentException($"a transform is given for column '{column}', which the loader does not return");
    }

    /// <summary>Epochs started so far (each enumeration is one), counting <see cref="DataLoaderOptions.EpochsDone"/>.</summary>
    public int Epochs => _epochs;

    public async IAsyncEnumerator<TensorBatch<TTensor>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var epoch = Interlocked.Increment(ref _epochs) - 1;
        var ready = Channel.CreateBounded<TensorBatch<TTensor>>(new BoundedChannelOptions(_options.Prefetch) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producing = Task.Run(() => ProduceAsync(epoch, ready.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var batch in ready.Reader.ReadAllAsync(cancellationToken)) yield return batch;
            await producing;
        }
        finally
        {
            stop.Cancel();
            await producing.ContinueWith(_ => { }, TaskScheduler.Default);
            while (ready.Reader.TryRead(out var left)) left.Dispose();
        }
    }

    private async Task ProduceAsync(int epoch, ChannelWriter<TensorBatch<TTensor>> ready, CancellationToken ct)
    {
        try
        {
            var random = _options.Shuffle ? new Random(unchecked(_options.Seed * 1_000_003 + epoch)) : null;
            var read = _columns.Union(_options.Where?.Columns ?? []).ToList();
            var blocks = (_blocks ??= await BlocksAsync(read, ct)).ToArray();
            random?.Shuffle(blocks);
            var pending = new List<(RecordBatch Block, int Row)>(_options.BatchSize);
            Task<RecordBatch>? next = blocks.Length > 0 ? ReadBlockAsync(blocks[0], read, ct) : null;
            for (var b = 0; b < blocks.Length; b++)
            {
                var block = await next!;
                // The next block is read while this one is cut into batches.
                next = b + 1 < blocks.Length ? ReadBlockAsync(blocks[b + 1], read, ct) : null;
                var rows = Enumerable.Range(0, block.Length).Where(row => _options.Where?.Keep(block, row) ?? true).ToArray();
                random?.Shuffle(rows);
                foreach (var row in rows)
                {
                    pending.Add((block, row));
                    if (pending.Count < _options.BatchSize) continue;
                    await OfferAsync(ready, Build(pending), ct);
                    pending.Clear();
                }
            }
            if (pending.Count > 0 && !_options.DropLast) await OfferAsync(ready, Build(pending), ct);
            ready.Complete();
        }
        catch (Exception e)
        {
            ready.TryComplete(e);
        }
    }

    /// <summary>Queues a batch, or frees it when the epoch stops before there is room for it.</summary>
    private static async Task OfferAsync(ChannelWriter<TensorBatch<TTensor>> ready, TensorBatch<TTensor> batch, CancellationToken ct)
    {
        try
        {
            await ready.WriteAsync(batch, ct);
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private Task<RecordBatch> ReadBlockAsync((long Offset, long Rows) block, IReadOnlyList<string> columns, CancellationToken ct) =>
        _dataset.ReadAsync(columns, block.Offset, block.Rows, ct);

    /// <summary>Whole pages joined up to the block size; a page bigger than a block is a block of its own.</summary>
    private async Task<IReadOnlyList<(long Offset, long Rows)>> BlocksAsync(IReadOnlyList<string> columns, CancellationToken ct)
    {
        var blocks = new List<(long Offset, long Rows)>();
        foreach (var (offset, rows) in await _dataset.PageRangesAsync(columns, ct))
        {
            if (blocks.Count > 0 && blocks[^1].Rows + rows <= _options.BlockRows) blocks[^1] = (blocks[^1].Offset, blocks[^1].Rows + rows);
            else blocks.Add((offset, rows));
        }
        return blocks;
    }

    /// <summary>The batch's tensors, transformed; a transform's intermediate tensors are freed by the engine, on this thread.</summary>
    private TensorBatch<TTensor> Build(IReadOnlyList<(RecordBatch Block, int Row)> rows)
    {
        var tensors = new Dictionary<string, TTensor>(_columns.Count);
        try
        {
            foreach (var column in _columns)
                tensors[column] = ColumnTensors.Gather(column, rows, _tensors, _options.Transforms.GetValueOrDefault(column));
            return new TensorBatch<TTensor>(rows.Count, tensors);
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }
}

/// <summary>How a loader cuts a dataset into batches; each engine's <c>DataLoaderOptions</c> is this with its tensor type.</summary>
public abstract record LoaderOptions<TTensor>
{
    public int BatchSize { get; init; } = 64;

    /// <summary>The columns returned as tensors; all by default (every one must have a tensor form).</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    public bool Shuffle { get; init; }
    public int Seed { get; init; }

    /// <summary>
    /// Epochs already trained (by an earlier attempt, before a checkpoint): the next enumeration shuffles as epoch
    /// <c>EpochsDone + 1</c> would have, so a resumed training sees the batches an uninterrupted one would.
    /// </summary>
    public int EpochsDone { get; init; }

    /// <summary>Leaves out the last batch of an epoch when it is short.</summary>
    public bool DropLast { get; init; }

    /// <summary>Which rows to keep (e.g. one split); all by default.</summary>
    public RowFilter? Where { get; init; }

    /// <summary>Per column, applied to the batch's tensor in the background (e.g. <c>t => t.view(-1, 1, 28, 28)</c>).</summary>
    public IReadOnlyDictionary<string, Func<TTensor, TTensor>> Transforms { get; init; } = new Dictionary<string, Func<TTensor, TTensor>>();

    /// <summary>Batches made ready ahead of the one being used.</summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>Rows read at once, and the span rows are shuffled within (more when one page holds more).</summary>
    public int BlockRows { get; init; } = 16_384;
}

/// <summary>How an engine makes a batch's tensor from gathered values: the one engine-specific step of a loader.</summary>
public interface ITensorMaker<TTensor>
{
    /// <summary>
    /// A tensor of <paramref name="shape"/> holding a copy of <paramref name="values"/> (a pooled buffer, reused after
    /// this returns), with <paramref name="transform"/> applied when given; the transform's intermediates are freed.
    /// </summary>
    TTensor Make<T>(ReadOnlySpan<T> values, long[] shape, Func<TTensor, TTensor>? transform) where T : unmanaged;
}
