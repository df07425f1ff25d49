// engine: torchsharp
// Serves a ReferenceCnn with TorchSharp-cpu: any version in the registry, whichever engine trained it (the weights are
// PyTorch's state-dict format either way). Requests and answers are those of scripts/mnist/serve.csx.
//
// request:  {"image": x} or {"images": [x, ...]}; x is a base64 PNG, base64 of 784 raw grey bytes, or 784 numbers in [0, 1]
// answer:   {"prediction": 3, "confidence": 0.97, "probabilities": [10 numbers]}, or {"predictions": [...]} for "images"
// params:   threads, max_batch_size (64), max_batch_delay_ms (0)
#load "cnn.csx"

async Task<IPredictor> Run(string input, string output, ScriptParams p)
{
    if (p.Has("threads")) set_num_threads(p.GetInt("threads", Environment.ProcessorCount));
    var artifact = await Context.Lake.LoadModelAsync(input, Context.CancellationToken);
    if (artifact.Architecture != ReferenceCnn.Architecture)
        throw new InvalidOperationException($"model {input} is a {artifact.Architecture}; this script serves {ReferenceCnn.Architecture}");
    var model = new ReferenceCnn();
    model.load_py(new MemoryStream(artifact.Weights), strict: true);
    model.eval();
    Context.Log($"serving {input} version {artifact.Version} on TorchSharp {__version__}");
    return new CnnPredictor(model, p.GetInt("max_batch_size", 64), TimeSpan.FromMilliseconds(p.GetDouble("max_batch_delay_ms", 0)));
}

sealed class CnnPredictor(ReferenceCnn model, int maxBatchSize, TimeSpan maxBatchDelay) : IPredictor
{
    public int MaxBatchSize => maxBatchSize;
    public TimeSpan MaxBatchDelay => maxBatchDelay;

    public IReadOnlyList<object?> Predict(IReadOnlyList<JsonElement> requests)
    {
        // Every image of every request of the batch goes through one forward pass.
        var decoded = requests.Select(r => ImageRequest.Parse(r)).ToList();
        var images = decoded.SelectMany(d => d.Images).ToList();
        var pixels = new float[images.Count * 784];
        for (var i = 0; i < images.Count; i++) images[i].CopyTo(pixels, i * 784);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var probabilities = model.forward(tensor(pixels, [images.Count, 784])).softmax(1).data<float>().ToArray();
        var predictions = ClassPrediction.FromRows(probabilities, 10);

        var answers = new List<object?>(requests.Count);
        var next = 0;
        foreach (var request in decoded)
        {
            var own = predictions.Skip(next).Take(request.Images.Count).ToList();
            next += own.Count;
            answers.Add(request.IsBatch ? new { predictions = own } : own[0]);
        }
        return answers;
    }

    public void Dispose() => model.Dispose();
}
