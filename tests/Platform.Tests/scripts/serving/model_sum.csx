// Serves a "Sum" model written by registry/save_model.csx: answers every request with the model's sum (its weights)
// and the request's own "id", so a caller can check that the version reported beside an answer is the one that made it.
async Task<IPredictor> Run(string input, string output, ScriptParams p)
{
    var artifact = await Context.Lake.LoadModelAsync(input, Context.CancellationToken);
    return new SumPredictor(BitConverter.ToDouble(artifact.Weights));
}

sealed class SumPredictor(double sum) : IPredictor
{
    public IReadOnlyList<object?> Predict(IReadOnlyList<JsonElement> requests) =>
        requests.Select(r => (object?)new { id = r.GetProperty("id").GetInt32(), sum }).ToList();

    public void Dispose()
    {
    }
}
