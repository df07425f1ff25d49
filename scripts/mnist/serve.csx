// Serves a model trained by train.csx: loads its weights from the lake and answers predictions until the inference
// task is cancelled. `input` is the model reference the gateway resolved at submit (e.g. fashion-cnn@production
// arrives as fashion-cnn@4); params: threads.
#load "cnn.csx"

async Task<IPredictor> Run(string input, string output, ScriptParams p)
{
    if (p.Has("threads")) set_num_threads(p.GetInt("threads", Environment.ProcessorCount));
    var artifact = await Context.Lake.LoadModelAsync(input, Context.CancellationToken);
    if (artifact.Architecture != ReferenceCnn.Architecture)
        throw new InvalidOperationException($"model {input} is a {artifact.Architecture}; this script serves {ReferenceCnn.Architecture}");
    var model = new ReferenceCnn();
    model.load_state_dict(artifact.Weights);
    model.eval();
    Context.Log($"serving {input} version {artifact.Version} (test accuracy {artifact.Metrics["test_accuracy"]})");
    return new CnnPredictor(model);
}

sealed class CnnPredictor(ReferenceCnn model) : IPredictor
{
    public IReadOnlyList<ClassPrediction> Predict(IReadOnlyList<float[]> images)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var flat = new float[images.Count * 784];
        for (var i = 0; i < images.Count; i++) images[i].CopyTo(flat, i * 784);
        var probabilities = model.forward(tensor(flat, images.Count, 784)).softmax(1).ToArray<float>();
        return Enumerable.Range(0, images.Count).Select(i =>
        {
            var row = probabilities.AsSpan(i * 10, 10).ToArray();
            var label = Array.IndexOf(row, row.Max());
            return new ClassPrediction(label, row[label], row);
        }).ToList();
    }

    public void Dispose() => model.Dispose();
}
