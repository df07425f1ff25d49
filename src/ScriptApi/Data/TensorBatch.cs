namespace AiPlatform.ScriptApi;

/// <summary>One batch from a loader: a tensor per column, first dimension the batch. Dispose it when done.</summary>
public sealed class TensorBatch<TTensor> : IDisposable where TTensor : IDisposable
{
    private readonly Dictionary<string, TTensor> _tensors;

    internal TensorBatch(int size, Dictionary<string, TTensor> tensors)
    {
        Size = size;
        _tensors = tensors;
    }

    /// <summary>Rows in this batch: the loader's batch size, or fewer for the last batch unless it drops it.</summary>
    public int Size { get; }

    public IReadOnlyCollection<string> Columns => _tensors.Keys;

    public TTensor this[string column] => _tensors.TryGetValue(column, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"the batch has no column '{column}'; it has {string.Join(", ", _tensors.Keys)}");

    public void Dispose()
    {
        foreach (var tensor in _tensors.Values) tensor.Dispose();
        _tensors.Clear();
    }
}
