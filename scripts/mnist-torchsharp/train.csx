// engine: torchsharp
// Trains the reference CNN with TorchSharp-cpu (LibTorch 2.10) instead of the platform's own engine: the same task,
// params and result as scripts/mnist/train.csx, and the same model in the registry (PyTorch's state-dict format), so a
// model trained here serves with scripts/mnist/serve.csx and one trained there serves with serve.csx beside this file.
// The first line selects the engine; such a script runs in a TorchSharp runner process.
//
// params: epochs (5), learning_rate (1e-3), batch_size (64), seed (1), threads (all cores),
//         version (semantic version to register; the next minor by default)
// result: train_loss, train_accuracy, test_accuracy, epochs, engine, model (name:version), model_version
// A checkpoint is saved after every epoch (weights, Adam's state, the random generator): a retried attempt resumes.
#load "cnn.csx"

async Task<object> Run(string input, string output, ScriptParams p)
{
    var epochs = p.GetInt("epochs", 5);
    var learningRate = p.GetDouble("learning_rate", 1e-3);
    var batchSize = p.GetInt("batch_size", 64);
    if (epochs < 1 || batchSize < 1 || learningRate <= 0) throw new ArgumentException("epochs and batch_size must be positive, learning_rate above 0");
    if (p.Has("threads")) set_num_threads(p.GetInt("threads", Environment.ProcessorCount));
    manual_seed(p.GetInt("seed", 1));

    var dataset = await Context.Lake.OpenDatasetAsync(input, Context.CancellationToken);
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
    Context.Log($"training on {input} version {dataset.Version} ({dataset.CountRows} rows) with TorchSharp {__version__}, epochs {done.Epoch + 1} to {epochs}");
    // The loader of the own engine's scripts, with TorchSharp tensors: batches are read and shuffled in the background.
    var train = new DataLoader(dataset, new DataLoaderOptions
    {
        BatchSize = batchSize, Columns = ["image", "label"], Where = RowFilter.Equal("split", "train"), Shuffle = true, Seed = p.GetInt("seed", 1),
        EpochsDone = done.Epoch,
    });
    var test = new DataLoader(dataset, new DataLoaderOptions { BatchSize = 1000, Columns = ["image", "label"], Where = RowFilter.Equal("split", "test") });
    double trainLoss = done.TrainLoss, trainAccuracy = done.TrainAccuracy, testAccuracy = done.TestAccuracy;
    for (var epoch = done.Epoch + 1; epoch <= epochs; epoch++)
    {
        model.train();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0, seen = 0;
        await foreach (var batch in train.WithCancellation(Context.CancellationToken))
        {
            using (batch)
            {
                var (loss, right) = TrainStep(model, optimizer, batch["image"], batch["label"]);
                lossSum += loss * batch.Size;
                correct += right;
                seen += batch.Size;
            }
        }
        var epochSeconds = clock.Elapsed.TotalSeconds;
        trainLoss = lossSum / seen;
        trainAccuracy = (double)correct / seen;
        testAccuracy = await EvaluateAsync(model, test);
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

/// <summary>One optimizer step on a batch: its mean loss and correct predictions.</summary>
static (double Loss, long Correct) TrainStep(ReferenceCnn model, optim.Optimizer optimizer, Tensor x, Tensor y)
{
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var logits = model.forward(x);
    var loss = nn.functional.cross_entropy(logits, y);
    loss.backward();
    optimizer.step();
    return (loss.item<float>(), logits.argmax(1).eq(y).sum().item<long>());
}

async Task<double> EvaluateAsync(ReferenceCnn model, DataLoader test)
{
    model.eval();
    long correct = 0, seen = 0;
    await foreach (var batch in test.WithCancellation(Context.CancellationToken))
    {
        using (batch)
        {
            correct += CountCorrect(model, batch["image"], batch["label"]);
            seen += batch.Size;
        }
    }
    return seen == 0 ? 0 : (double)correct / seen;
}

/// <summary>Synchronous on purpose: autograd's on/off switch belongs to a thread, and an await could change thread.</summary>
static long CountCorrect(ReferenceCnn model, Tensor images, Tensor labels)
{
    using var noGrad = no_grad();
    using var scope = NewDisposeScope();
    return model.forward(images).argmax(1).eq(labels).sum().item<long>();
}
