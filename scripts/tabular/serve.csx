// Serves a model trained by tabular/train.csx until the inference task is cancelled.
//
// request:  {"inputs": [[f1, ..., f8], ...]}: one or more rows of the model's feature count (8 for the example)
// answer:   {"predictions": [{"prediction": 2, "confidence": 0.93, "probabilities": [3 numbers]}, ...]}, one per row
// params:   max_batch_size (64), max_batch_delay_ms (0): requests arriving together share one forward pass
#load "mlp.csx"

async Task<IPredictor> Run(string input, string output, ScriptParams p)
{
    var artifact = await Context.Lake.LoadModelAsync(input, Context.CancellationToken);
    if (artifact.Architecture != TabularMlp.Architecture)
        throw new InvalidOperationException($"model {input} is a {artifact.Architecture}; this script serves {TabularMlp.Architecture}");
    int Size(string name) => artifact.Params[name]?.GetValue<int>() ?? throw new InvalidDataException($"model {input} does not record '{name}'");
    var model = new TabularMlp(Size("features"), Size("hidden"), Size("classes"));
    model.load_state_dict(artifact.Weights);
    model.eval();
    Context.Log($"serving {input}: {model.Features}-{model.Hidden}-{model.Classes} MLP, test accuracy {artifact.Metrics["test_accuracy"]}");
    return new MlpPredictor(model, p.GetInt("max_batch_size", 64), TimeSpan.FromMilliseconds(p.GetDouble("max_batch_delay_ms", 0)));
}

sealed class MlpPredictor(TabularMlp model, int maxBatchSize, TimeSpan maxBatchDelay) : IPredictor
{
    public int MaxBatchSize => maxBatchSize;
    public TimeSpan MaxBatchDelay => maxBatchDelay;

    public IReadOnlyList<object?> Predict(IReadOnlyList<JsonElement> requests)
    {
        // The rows of every request of the batch go through one forward pass.
        var decoded = requests.Select(r => FeatureRows.Parse(r, model.Features)).ToList();
        var rows = decoded.SelectMany(d => d.Values).ToArray();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var predictions = ClassPrediction.FromRows(model.forward(tensor(rows, rows.Length / model.Features, model.Features)).softmax(1).ToArray<float>(), model.Classes);
        var next = 0;
        return decoded.Select(request =>
        {
            var own = predictions.Skip(next).Take(request.Count).ToList();
            next += request.Count;
            return (object?)new { predictions = own };
        }).ToList();
    }

    public void Dispose() => model.Dispose();
}
