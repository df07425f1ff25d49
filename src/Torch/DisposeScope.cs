namespace AiPlatform.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is open and frees them when disposed, so a training loop's
/// temporaries are released each step instead of waiting for the garbage collector.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly DisposeScope? _outer;
    private readonly List<Tensor> _tensors = [];
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = _current;
        _current = this;
    }

    internal static void Track(Tensor tensor) => _current?._tensors.Add(tensor);

    /// <summary>Keeps a tensor alive past this scope (it moves to the enclosing scope, if any).</summary>
    public Tensor MoveToOuter(Tensor tensor)
    {
        _tensors.Remove(tensor);
        _outer?._tensors.Add(tensor);
        return tensor;
    }

    internal static void Detach(Tensor tensor)
    {
        for (var scope = _current; scope is not null; scope = scope._outer)
            if (scope._tensors.Remove(tensor)) return;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var tensor in _tensors) tensor.Dispose();
        _tensors.Clear();
        if (_current == this) _current = _outer;
    }
}
