// A serving script for the batching tests: answers each request with its own "id", the size of the batch it was in and
// this runner's process id. A request with "invalid" is refused as the caller's fault; a batch holding a request with
// "explode" throws, as a model that breaks on one input does. params: max_batch_delay_ms (200, so requests sent
// together share batches).
async Task<IPredictor> Run(string input, string output, ScriptParams p) =>
    new EchoPredictor(TimeSpan.FromMilliseconds(p.GetDouble("max_batch_delay_ms", 200)));

sealed class EchoPredictor(TimeSpan maxBatchDelay) : IPredictor
{
    public TimeSpan MaxBatchDelay => maxBatchDelay;

    public IReadOnlyList<object?> Predict(IReadOnlyList<JsonElement> requests)
    {
        if (requests.Any(r => r.TryGetProperty("explode", out _))) throw new InvalidOperationException("the model exploded");
        return requests.Select(r => r.TryGetProperty("invalid", out _)
            ? throw new InvalidInputException("field 'invalid' is not something this model takes")
            : (object?)new { id = r.GetProperty("id").GetInt32(), batch_size = requests.Count, process = Environment.ProcessId }).ToList();
    }

    public void Dispose()
    {
    }
}
