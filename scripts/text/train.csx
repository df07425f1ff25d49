// Trains the character-level transformer (charlm.csx) on a text dataset written by ingest.csx and registers it as a new
// version of model <output>. Pretraining starts from random weights; fine-tuning is the same task naming the model it
// starts from in its "model" field (e.g. fortune-lm@base): its size and weights are taken from that version, whose
// test loss on this dataset is measured first (base_test_loss), and the registry records it as the new version's parent.
// Each step trains on batch_size windows of `context` bytes drawn at random from the train split's texts (joined by
// the end-of-text byte); losses are mean nats per byte (bits per byte = loss / ln 2).
//
// params: epochs (5), steps_per_epoch (200), batch_size (32), learning_rate (3e-3: the peak of a one-cycle schedule,
//         warm-up then cosine decay), clip_norm (1.0), seed (1), eval_windows (64: test windows scored per epoch),
//         sample_bytes (120: a text generated at the end, for a look), version; for pretraining also
//         context (64), width (128), layers (2), heads (4), dropout (0.1)
// result: train_loss, test_loss, test_bits_per_byte, base_test_loss (fine-tuning), epochs, model, model_version, sample
// A checkpoint is saved after every epoch: an attempt that follows a killed worker resumes after the last saved epoch.
#load "charlm.csx"

async Task<object> Run(string input, string output, ScriptParams p)
{
    var epochs = p.GetInt("epochs", 5);
    var stepsPerEpoch = p.GetInt("steps_per_epoch", 200);
    var batchSize = p.GetInt("batch_size", 32);
    var learningRate = p.GetDouble("learning_rate", 3e-3);
    var clipNorm = p.GetDouble("clip_norm", 1.0);
    var seed = p.GetInt("seed", 1);
    var evalWindows = p.GetInt("eval_windows", 64);
    if (epochs < 1 || stepsPerEpoch < 1 || batchSize < 1 || evalWindows < 1 || learningRate <= 0 || clipNorm <= 0)
        throw new ArgumentException("epochs, steps_per_epoch, batch_size and eval_windows must be positive, learning_rate and clip_norm above 0");
    if (p.Has("threads")) set_num_threads(p.GetInt("threads", Environment.ProcessorCount));
    manual_seed((ulong)seed);

    var dataset = await Context.Lake.OpenDatasetAsync(input, Context.CancellationToken);
    var (trainBytes, testBytes) = await ReadSplitsAsync(dataset);
    if (trainBytes.Length < 2) throw new InvalidDataException($"dataset {input} has no training text");
    if (testBytes.Length < 2) throw new InvalidDataException($"dataset {input} has no test text to score the model on");

    var baseArtifact = Model is null ? null : await Context.Lake.LoadModelAsync(Model, Context.CancellationToken);
    if (baseArtifact is not null && baseArtifact.Architecture != CharTransformer.Architecture)
        throw new InvalidOperationException($"model {Model} is a {baseArtifact.Architecture}; this script fine-tunes {CharTransformer.Architecture}");
    var shape = baseArtifact is null ? CharShape.From(p) : CharShape.From(baseArtifact.Params);
    using var model = new CharTransformer(shape);
    double? baseTestLoss = null;
    if (baseArtifact is not null)
    {
        model.load_state_dict(baseArtifact.Weights);
        baseTestLoss = TestLoss(model, testBytes, evalWindows, batchSize);
        Context.Log($"fine-tuning {Model} (version {baseArtifact.Version}): test loss {baseTestLoss:F4} on {input} before training");
        var ignored = new[] { "context", "width", "layers", "heads", "dropout" }.Where(p.Has).ToList();
        if (ignored.Count > 0) Context.LogWarning($"{string.Join(", ", ignored)} ignored: a fine-tuned model keeps the size of {Model}");
    }
    using var optimizer = optim.AdamW(model.parameters(), lr: learningRate, weight_decay: 0.01);
    var schedule = new optim.lr_scheduler.OneCycleLR(optimizer, learningRate, total_steps: epochs * stepsPerEpoch, cycle_momentum: false);

    var done = new EpochLosses(0, double.NaN, double.NaN);
    if (await Context.Checkpoint.LoadLatestAsync(Context.CancellationToken) is { } checkpoint)
    {
        model.load_state_dict(checkpoint.Parts["model"]);
        optimizer.load_state_dict(checkpoint.Parts["optimizer"]);
        schedule.load_state_dict(JsonSerializer.Deserialize<Dictionary<string, double>>(checkpoint.Parts["schedule"])!);
        set_rng_state(load(checkpoint.Parts["rng"])["cpu"]);
        done = JsonSerializer.Deserialize<EpochLosses>(checkpoint.Parts["losses"])!;
        Context.Log($"attempt {Context.Attempt} resumes after epoch {checkpoint.Epoch} from this task's checkpoint");
    }
    Context.Log($"training a {shape.Layers}-layer, {shape.Width}-wide transformer ({model.parameters().Sum(t => t.numel())} parameters, " +
                $"context {shape.Context}) on {trainBytes.Length} bytes of {input} version {dataset.Version}, epochs {done.Epoch + 1} to {epochs}");

    var (trainLoss, testLoss) = (done.TrainLoss, done.TestLoss);
    for (var epoch = done.Epoch + 1; epoch <= epochs; epoch++)
    {
        model.train();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Windows are drawn from a generator seeded per epoch, so a resumed epoch trains on what it would have.
        var windows = new Random(HashCode.Combine(seed, epoch));
        double lossSum = 0;
        for (var step = 1; step <= stepsPerEpoch; step++)
        {
            Context.CancellationToken.ThrowIfCancellationRequested();
            lossSum += TrainStep(model, optimizer, clipNorm, trainBytes, batchSize, windows);
            schedule.step();
            // Between epochs, the running loss by step (no "epoch": per-epoch curves plot only the epochs' ends).
            if (step % 50 == 0 && step < stepsPerEpoch)
                Context.Progress((epoch - 1 + (double)step / stepsPerEpoch) / epochs, $"epoch {epoch}/{epochs}, step {step}/{stepsPerEpoch}",
                    new { step = (epoch - 1) * stepsPerEpoch + step, loss = lossSum / step });
        }
        trainLoss = lossSum / stepsPerEpoch;
        testLoss = TestLoss(model, testBytes, evalWindows, batchSize);
        var seconds = clock.Elapsed.TotalSeconds;
        await Context.Checkpoint.SaveAsync(new Checkpoint(epoch, new Dictionary<string, byte[]>
        {
            ["model"] = model.save_state_dict(),
            ["optimizer"] = optimizer.save_state_dict(),
            ["schedule"] = JsonSerializer.SerializeToUtf8Bytes(schedule.state_dict()),
            ["rng"] = save(new Dictionary<string, Tensor> { ["cpu"] = get_rng_state() }),
            ["losses"] = JsonSerializer.SerializeToUtf8Bytes(new EpochLosses(epoch, trainLoss, testLoss)),
        }), Context.CancellationToken);
        Context.Progress((double)epoch / epochs, $"epoch {epoch}/{epochs}",
            new { epoch, loss = trainLoss, test_loss = testLoss, test_bits_per_byte = testLoss / Math.Log(2),
                  bytes_per_second = stepsPerEpoch * batchSize * shape.Context / seconds, seconds });
    }

    model.eval();
    var sample = Encoding.UTF8.GetString(model.Generate([], p.GetInt("sample_bytes", 120), 0.8, 0, new Random(seed)).Bytes);
    Context.Log($"sample: {sample}");
    var bitsPerByte = testLoss / Math.Log(2);
    var metrics = new Dictionary<string, double> { ["train_loss"] = trainLoss, ["test_loss"] = testLoss, ["test_bits_per_byte"] = bitsPerByte, ["epochs"] = epochs };
    if (baseTestLoss is { } before) metrics["base_test_loss"] = before;
    var saved = await Context.Lake.SaveModelAsync(output, CharTransformer.Architecture, model.save_state_dict(), metrics: metrics,
        parameters: new
        {
            context = shape.Context, width = shape.Width, layers = shape.Layers, heads = shape.Heads, dropout = shape.Dropout,
            vocabulary = CharTransformer.Vocabulary, epochs, steps_per_epoch = stepsPerEpoch, batch_size = batchSize,
            learning_rate = learningRate, seed, base_model = Model,
        },
        version: p.GetString("version"), ct: Context.CancellationToken);
    return new { train_loss = trainLoss, test_loss = testLoss, test_bits_per_byte = bitsPerByte, base_test_loss = baseTestLoss, epochs,
        model = saved.ToString(), model_version = saved.SemanticVersion, sample };
}

/// <summary>Where training stands after an epoch: what a checkpoint carries besides the weights and optimizer state.</summary>
record EpochLosses(int Epoch, double TrainLoss, double TestLoss);

/// <summary>The train and test splits, each as one byte stream: every text followed by the end-of-text byte.</summary>
static async Task<(byte[] Train, byte[] Test)> ReadSplitsAsync(AiPlatform.Lake.Dataset.LanceDataset dataset)
{
    var (train, test) = (new List<byte>(), new List<byte>());
    await foreach (var chunk in dataset.ReadBatchesAsync(4096, ["text", "split"]))
    {
        var (texts, splits) = (chunk.Column<StringColumn>("text"), chunk.Column<StringColumn>("split"));
        for (var i = 0; i < chunk.Length; i++)
        {
            var into = splits[i] == "test" ? test : train;
            into.AddRange(Encoding.UTF8.GetBytes(texts[i]));
            into.Add(CharTransformer.EndOfText);
        }
    }
    return (train.ToArray(), test.ToArray());
}

/// <summary>One optimizer step on windows drawn at random from <paramref name="stream"/>; returns the mean loss.</summary>
static double TrainStep(CharTransformer model, optim.Optimizer optimizer, double clipNorm, byte[] stream, int batchSize, Random windows)
{
    using var scope = NewDisposeScope();
    var length = Math.Min(model.Shape.Context, stream.Length - 1);
    var (inputs, targets) = (new long[batchSize * length], new long[batchSize * length]);
    for (var b = 0; b < batchSize; b++)
    {
        var start = windows.Next(stream.Length - length);
        for (var t = 0; t < length; t++)
        {
            inputs[b * length + t] = stream[start + t];
            targets[b * length + t] = stream[start + t + 1];
        }
    }
    optimizer.zero_grad();
    var logits = model.forward(tensor(inputs, batchSize, length));
    var loss = nn.functional.cross_entropy(logits.view(-1, CharTransformer.Vocabulary), tensor(targets, batchSize * length));
    loss.backward();
    nn.utils.clip_grad_norm_(model.parameters(), clipNorm);
    optimizer.step();
    return loss.item<double>();
}

/// <summary>Mean loss over the first <paramref name="windows"/> consecutive windows of the test stream: the same bytes every epoch.</summary>
static double TestLoss(CharTransformer model, byte[] stream, int windows, int batchSize)
{
    model.eval();
    using var noGrad = no_grad();
    var length = Math.Min(model.Shape.Context, stream.Length - 1);
    var starts = Enumerable.Range(0, (stream.Length - 1) / length).Select(w => w * length).Take(windows).ToArray();
    double lossSum = 0;
    foreach (var batch in starts.Chunk(batchSize))
    {
        using var scope = NewDisposeScope();
        var inputs = batch.SelectMany(s => stream.AsSpan(s, length).ToArray()).Select(b => (long)b).ToArray();
        var targets = batch.SelectMany(s => stream.AsSpan(s + 1, length).ToArray()).Select(b => (long)b).ToArray();
        var logits = model.forward(tensor(inputs, batch.Length, length));
        lossSum += nn.functional.cross_entropy(logits.view(-1, CharTransformer.Vocabulary), tensor(targets, batch.Length * length)).item<double>() * batch.Length;
    }
    model.train();
    return lossSum / starts.Length;
}
