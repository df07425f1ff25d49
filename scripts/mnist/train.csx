// Trains the reference CNN on a dataset written by ingest.csx (`input`: a dataset reference the gateway resolved, e.g.
// fashion@3), reading batches from the lake each epoch, and registers the weights (a PyTorch state dict) as a new
// version of model <output> with metrics, params and lineage (the dataset version it read, this task and script).
//
// params: epochs (5), learning_rate (1e-3), batch_size (64), device ("cpu"), seed (1), threads (all cores),
//         version (semantic version to register; the next minor by default)
// result: train_loss, train_accuracy, test_accuracy, epochs, model (name:version), model_version; `lake` lists what was read and saved
#load "cnn.csx"

async Task<object> Run(string input, string output, ScriptParams p)
{
    var epochs = p.GetInt("epochs", 5);
    var learningRate = p.GetDouble("learning_rate", 1e-3);
    var batchSize = p.GetInt("batch_size", 64);
    var device = p.GetString("device", "cpu");
    if (device != "cpu") throw new ArgumentException($"device '{device}' is not available on this worker (cpu only)");
    if (epochs < 1 || batchSize < 1 || learningRate <= 0) throw new ArgumentException("epochs and batch_size must be positive, learning_rate above 0");
    if (p.Has("threads")) set_num_threads(p.GetInt("threads", Environment.ProcessorCount));
    manual_seed((ulong)p.GetInt("seed", 1));

    var dataset = await Context.Lake.OpenDatasetAsync(input, Context.CancellationToken);
    Context.Log($"training on {input} version {dataset.Version} ({dataset.CountRows} rows) for {epochs} epochs");
    using var model = new ReferenceCnn();
    using var optimizer = optim.Adam(model.parameters(), lr: learningRate);
    double trainLoss = 0, trainAccuracy = 0, testAccuracy = 0;
    for (var epoch = 1; epoch <= epochs; epoch++)
    {
        model.train();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0, seen = 0;
        // Chunks stream from the lake; batches are cut from each chunk so the file is read once per epoch.
        await foreach (var chunk in dataset.ReadBatchesAsync(16_384, ["image", "label", "split"], ct: Context.CancellationToken))
        {
            var (images, labels) = Select(chunk, "train");
            for (var start = 0; start < labels.Length; start += batchSize)
            {
                Context.CancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var size = Math.Min(batchSize, labels.Length - start);
                var x = tensor(images.AsSpan(start * 784, size * 784), size, 784);
                var y = tensor(labels.AsSpan(start, size), size);
                optimizer.zero_grad();
                var logits = model.forward(x);
                var loss = nn.functional.cross_entropy(logits, y);
                loss.backward();
                optimizer.step();
                lossSum += loss.item<double>() * size;
                correct += logits.argmax(1).eq(y).sum().item<long>();
                seen += size;
            }
        }
        var epochSeconds = clock.Elapsed.TotalSeconds;
        trainLoss = lossSum / seen;
        trainAccuracy = (double)correct / seen;
        testAccuracy = await EvaluateAsync(model, dataset);
        Context.Progress((double)epoch / epochs, $"epoch {epoch}/{epochs}",
            new { epoch, loss = trainLoss, accuracy = trainAccuracy, test_accuracy = testAccuracy, seconds = epochSeconds });
    }

    var saved = await Context.Lake.SaveModelAsync(output, ReferenceCnn.Architecture, model.save_state_dict(),
        metrics: new { train_loss = trainLoss, train_accuracy = trainAccuracy, test_accuracy = testAccuracy, epochs },
        parameters: p, version: p.GetString("version"), ct: Context.CancellationToken);
    return new { train_loss = trainLoss, train_accuracy = trainAccuracy, test_accuracy = testAccuracy, epochs, model = saved.ToString(),
        model_version = saved.SemanticVersion };
}

async Task<double> EvaluateAsync(ReferenceCnn model, AiPlatform.Lake.Dataset.LanceDataset dataset)
{
    model.eval();
    long correct = 0, seen = 0;
    await foreach (var chunk in dataset.ReadBatchesAsync(16_384, ["image", "label", "split"], ct: Context.CancellationToken))
    {
        var (images, labels) = Select(chunk, "test");
        correct += CountCorrect(model, images, labels);
        seen += labels.Length;
    }
    return seen == 0 ? 0 : (double)correct / seen;
}

/// <summary>Synchronous on purpose: autograd's on/off switch belongs to a thread, and an await could change thread.</summary>
static long CountCorrect(ReferenceCnn model, float[] images, long[] labels)
{
    using var noGrad = no_grad();
    long correct = 0;
    for (var start = 0; start < labels.Length; start += 1000)
    {
        using var scope = NewDisposeScope();
        var size = Math.Min(1000, labels.Length - start);
        var predicted = model.forward(tensor(images.AsSpan(start * 784, size * 784), size, 784)).argmax(1);
        correct += predicted.eq(tensor(labels.AsSpan(start, size), size)).sum().item<long>();
    }
    return correct;
}

/// <summary>The rows of one split, images row-major and labels as int64; the common all-one-split chunk is not copied.</summary>
static (float[] Images, long[] Labels) Select(RecordBatch chunk, string split)
{
    var splits = chunk.Column<StringColumn>("split");
    var images = chunk.Column<FixedSizeListFloat32Column>("image").Values;
    var labels = chunk.Column<Int64Column>("label").Values;
    var rows = Enumerable.Range(0, chunk.Length).Where(i => splits[i] == split).ToArray();
    if (rows.Length == chunk.Length) return (images, labels);
    var selected = new float[rows.Length * 784];
    for (var k = 0; k < rows.Length; k++) Array.Copy(images, rows[k] * 784, selected, k * 784, 784);
    return (selected, rows.Select(i => labels[i]).ToArray());
}
