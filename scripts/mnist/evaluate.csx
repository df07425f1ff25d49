// Scores a model trained by train.csx on one split of a dataset written by ingest.csx, and records the metrics on the
// model version in the registry (an `evaluated` entry in its audit names the dataset version and this task).
// `input` is the dataset (e.g. fashion, pinned by the gateway to fashion@3); the task's `model` is the version scored
// (e.g. fashion-cnn@production, which the script receives as fashion-cnn@4).
//
// params: split ("test"), batch_size (1000), threads (all cores)
// result: metrics {<split>_accuracy, <split>_loss}, rows, model (name@N), dataset (name@N), split; `lake` lists what was
//         read and the evaluation recorded
#load "cnn.csx"

async Task<object> Run(string input, string output, ScriptParams p)
{
    if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("an evaluation task names the model it scores in its 'model' field");
    if (string.IsNullOrWhiteSpace(input)) throw new ArgumentException("input must name the dataset to score the model on");
    var split = p.GetString("split", "test")!;
    var batchSize = p.GetInt("batch_size", 1000);
    if (batchSize < 1) throw new ArgumentException($"batch_size must be 1 or more; got {batchSize}");
    if (p.Has("threads")) set_num_threads(p.GetInt("threads", Environment.ProcessorCount));

    var artifact = await Context.Lake.LoadModelAsync(Model, Context.CancellationToken);
    if (artifact.Architecture != ReferenceCnn.Architecture)
        throw new InvalidOperationException($"model {Model} is a {artifact.Architecture}; this script evaluates {ReferenceCnn.Architecture}");
    using var model = new ReferenceCnn();
    model.load_state_dict(artifact.Weights);
    model.eval();

    var dataset = await Context.Lake.OpenDatasetAsync(input, Context.CancellationToken);
    var rows = new DataLoader(dataset, new DataLoaderOptions { BatchSize = batchSize, Columns = ["image", "label"], Where = RowFilter.Equal("split", split) });
    double lossSum = 0;
    long correct = 0, seen = 0;
    await foreach (var batch in rows.WithCancellation(Context.CancellationToken))
    {
        using (batch)
        {
            var (loss, right) = Score(model, batch["image"], batch["label"]);
            lossSum += loss * batch.Size;
            correct += right;
            seen += batch.Size;
        }
        Context.Progress(null, $"{seen} rows scored", new { rows = seen });
    }
    if (seen == 0) throw new InvalidDataException($"dataset {input} has no rows in split '{split}'");

    var metrics = new JsonObject { [$"{split}_accuracy"] = (double)correct / seen, [$"{split}_loss"] = lossSum / seen };
    Context.Lake.RecordEvaluation(metrics);
    Context.Log($"{Model} on {input} ({split}, {seen} rows): accuracy {(double)correct / seen:F4}");
    return new { metrics, rows = seen, model = $"{Model.Split('@')[0]}@{artifact.Version}", dataset = $"{input.Split('@')[0]}@{dataset.Version}", split };
}

/// <summary>Synchronous on purpose: autograd's on/off switch belongs to a thread, and an await could change thread.</summary>
static (double Loss, long Correct) Score(ReferenceCnn model, Tensor images, Tensor labels)
{
    using var noGrad = no_grad();
    using var scope = NewDisposeScope();
    var logits = model.forward(images);
    return (nn.functional.cross_entropy(logits, labels).item<double>(), logits.argmax(1).eq(labels).sum().item<long>());
}
