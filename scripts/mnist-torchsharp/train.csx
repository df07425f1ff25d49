// engine: torchsharp
// Trains the reference CNN with TorchSharp-cpu (LibTorch 2.10) instead of the platform's own engine: the same task,
// params and result as scripts/mnist/train.csx, and the same model in the registry (PyTorch's state-dict format), so a
// model trained here serves with scripts/mnist/serve.csx and one trained there serves with serve.csx beside this file.
// The first line selects the engine; such a script runs in a TorchSharp runner process.
//
// params: epochs (5), learning_rate (1e-3), batch_size (64), seed (1), threads (all cores), max_train_rows (all),
//         version (semantic version to register; the next minor by default)
// result: train_loss, train_accuracy, test_accuracy, epochs, engine, model (name:version), model_version
// A checkpoint is saved after every epoch (weights, Adam's state, the random generator): a retried attempt resumes.
#load "cnn.csx"

async Task<object> Run(string input, string output, ScriptParams p)
{
    var epochs = p.GetInt("epochs", 5);
    var learningRate = p.GetDouble("learning_rate", 1e-3);
    var batchSize = p.GetInt("batch_size", 64);
    var maxTrainRows = p.GetInt("max_train_rows", int.MaxValue);
    if (epochs < 1 || batchSize < 1 || learningRate <= 0 || maxTrainRows < 1)
        throw new ArgumentException("epochs, batch_size and max_train_rows must be positive, learning_rate above 0");
    if (p.Has("threads")) set_num_threads(p.GetInt("threads", Environment.ProcessorCount));
    manual_seed(p.GetInt("seed", 1));

    var dataset = await Context.Lake.OpenDatasetAsync(input, Context.CancellationToken);
    var (trainImages, trainLabels) = await ReadSplitAsync(dataset, "train", maxTrainRows);
    var (testImages, testLabels) = await ReadSplitAsync(dataset, "test", int.MaxValue);
    var model = new ReferenceCnn();
    var optimizer = optim.Adam(model.parameters(), lr: learningRate);
    var done = new EpochMetrics(0, 0, 0, 0);
    if (await Context.Checkpoint.LoadLatestAsync(Context.CancellationToken) is { } checkpoint)
    {
        model.load_py(new MemoryStream(checkpoint.Parts["model"]));
        optimizer.load_py(new MemoryStream(checkpoint.Parts["optimizer"]));
        set_rng_state((Tensor)PyTorchUnpickler.UnpickleStateDict(new MemoryStream(checkpoint.Parts["rng"]))["cpu"]!);
        done = JsonSerializer.Deserialize<EpochMetrics>(checkpoint.Parts["metrics"])!;
        Context.Log($"attempt {Context.Attempt} resumes after epoch {checkpoint.Epoch} from this task's checkpoint");
    }
    var rows = trainLabels.shape[0];
    Context.Log($"training on {input} version {dataset.Version} ({rows} train rows, TorchSharp {__version__}), epochs {done.Epoch + 1} to {epochs}");
    double trainLoss = done.TrainLoss, trainAccuracy = done.TrainAccuracy, testAccuracy = done.TestAccuracy;
    for (var epoch = done.Epoch + 1; epoch <= epochs; epoch++)
    {
        model.train();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0;
        using (var order = randperm(rows))
        {
            for (long start = 0; start < rows; start += batchSize)
            {
                Context.CancellationToken.ThrowIfCancellationRequested();
                var (loss, right) = TrainStep(model, optimizer, trainImages, trainLabels, order.narrow(0, start, Math.Min(batchSize, rows - start)));
                lossSum += loss;
                correct += right;
            }
        }
        var epochSeconds = clock.Elapsed.TotalSeconds;
        trainLoss = lossSum / rows;
        trainAccuracy = (double)correct / rows;
        testAccuracy = Accuracy(model, testImages, testLabels);
        await Context.Checkpoint.SaveAsync(new Checkpoint(epoch, new Dictionary<string, byte[]>
        {
            ["model"] = PyTorchBytes(s => model.save_py(s)),
            ["optimizer"] = PyTorchBytes(s => optimizer.save_py(s)),
            ["rng"] = PyTorchBytes(s => PyTorchPickler.PickleStateDict(s, new Dictionary<string, Tensor> { ["cpu"] = get_rng_state() })),
            ["metrics"] = JsonSerializer.SerializeToUtf8Bytes(new EpochMetrics(epoch, trainLoss, trainAccuracy, testAccuracy)),
        }), Context.CancellationToken);
        Context.Progress((double)epoch / epochs, $"epoch {epoch}/{epochs}",
            new { epoch, loss = trainLoss, accuracy = trainAccuracy, test_accuracy = testAccuracy, seconds = epochSeconds });
    }

    var saved = await Context.Lake.SaveModelAsync(output, ReferenceCnn.Architecture, PyTorchBytes(s => model.save_py(s)),
        metrics: new { train_loss = trainLoss, train_accuracy = trainAccuracy, test_accuracy = testAccuracy, epochs, engine = "torchsharp" },
        parameters: p, version: p.GetString("version"), ct: Context.CancellationToken);
    return new { train_loss = trainLoss, train_accuracy = trainAccuracy, test_accuracy = testAccuracy, epochs, engine = "torchsharp",
        model = saved.ToString(), model_version = saved.SemanticVersion };
}

/// <summary>Where training stands after an epoch: what a checkpoint carries besides the weights and optimizer state.</summary>
record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy);

/// <summary>One split of the dataset as two tensors, images [rows, 784] and labels [rows], at most <paramref name="limit"/> rows.</summary>
async Task<(Tensor Images, Tensor Labels)> ReadSplitAsync(LanceDataset dataset, string split, int limit)
{
    var batch = await dataset.ReadAsync(["image", "label", "split"], ct: Context.CancellationToken);
    var splits = batch.Column<StringColumn>("split");
    var images = batch.Column<FixedSizeListFloat32Column>("image");
    var labels = batch.Column<Int64Column>("label");
    var chosen = Enumerable.Range(0, batch.Length).Where(r => splits[r] == split).Take(limit).ToArray();
    var pixels = new float[chosen.Length * 784];
    var classes = new long[chosen.Length];
    for (var i = 0; i < chosen.Length; i++)
    {
        images.Values.AsSpan(chosen[i] * 784, 784).CopyTo(pixels.AsSpan(i * 784, 784));
        classes[i] = labels.Values[chosen[i]];
    }
    return (tensor(pixels, [chosen.Length, 784]), tensor(classes));
}

/// <summary>One optimizer step on the rows <paramref name="rows"/> picks: the batch's summed loss and its correct predictions.</summary>
static (double Loss, long Correct) TrainStep(ReferenceCnn model, optim.Optimizer optimizer, Tensor images, Tensor labels, Tensor rows)
{
    using var scope = NewDisposeScope();
    var x = images.index_select(0, rows);
    var y = labels.index_select(0, rows);
    optimizer.zero_grad();
    var logits = model.forward(x);
    var loss = nn.functional.cross_entropy(logits, y);
    loss.backward();
    optimizer.step();
    return (loss.item<float>() * y.shape[0], logits.argmax(1).eq(y).sum().item<long>());
}

static double Accuracy(ReferenceCnn model, Tensor images, Tensor labels)
{
    model.eval();
    using var noGrad = no_grad();
    using var scope = NewDisposeScope();
    var rows = labels.shape[0];
    if (rows == 0) return 0;
    long correct = 0;
    for (long start = 0; start < rows; start += 1000)
    {
        var length = Math.Min(1000, rows - start);
        correct += model.forward(images.narrow(0, start, length)).argmax(1).eq(labels.narrow(0, start, length)).sum().item<long>();
    }
    return (double)correct / rows;
}
