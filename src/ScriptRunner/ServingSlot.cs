using AiPlatform.ScriptApi;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// The predictor a serving replica answers with, and its swap to another model version: the serving script builds the
/// next predictor while the current one keeps answering; then the next one takes every new request, and the old one
/// finishes the requests it already took before it is disposed. No request is lost or refused by a swap.
/// </summary>
internal sealed class ServingSlot : IAsyncDisposable
{
    private readonly Func<string, Task<object?>> _runScript;
    private readonly SemaphoreSlim _swapping = new(1, 1);
    private volatile PredictorHost? _current;

    /// <param name="first">What the serving script's first run returned, for <paramref name="model"/>.</param>
    /// <param name="runScript">Runs the serving script again with another input (a model version), returning what Run returns.</param>
    public ServingSlot(object? first, string model, Func<string, Task<object?>> runScript)
    {
        _current = new PredictorHost(AsPredictor(first), model);
        _runScript = runScript;
    }

    /// <summary>Answers with the current predictor; the model version that answered comes with the answer.</summary>
    public async Task<(BatchedAnswer Answer, string Model)> PredictAsync(string body)
    {
        while (true)
        {
            var serving = _current ?? throw new InvalidOperationException("this replica is not serving a model");
            try
            {
                return (await serving.PredictAsync(body), serving.Model);
            }
            catch (ObjectDisposedException) when (!ReferenceEquals(serving, _current))
            {
                // Swapped out between picking it and handing it the request: the new predictor answers instead.
            }
        }
    }

    /// <summary>Serves <paramref name="model"/> from now on; throws (and the current predictor stays) if the script cannot load it.</summary>
    public async Task SwapAsync(string model)
    {
        await _swapping.WaitAsync();
        try
        {
            if (_current is null) throw new InvalidOperationException("this replica has stopped serving");
            if (_current.Model == model) return;
            var next = new PredictorHost(AsPredictor(await _runScript(model)), model);
            var previous = _current;
            _current = next;
            await previous.DisposeAsync();
        }
        finally
        {
            _swapping.Release();
        }
    }

    private static IPredictor AsPredictor(object? result) => result as IPredictor
        ?? throw new InvalidOperationException($"a serving script's Run must return an {nameof(IPredictor)}, got {result?.GetType().Name ?? "null"}");

    /// <summary>Waits for a swap under way, then answers what the predictor took and disposes it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _swapping.WaitAsync();
        var last = _current;
        _current = null;
        _swapping.Release();
        if (last is not null) await last.DisposeAsync();
    }
}
