// Trains the tabular MLP (features -> hidden -> classes) on a dataset written by ingest.csx and registers it as a new
// version of model <output>; the feature, hidden and class counts are saved with it so serve.csx can rebuild it.
//
// params: epochs (100), hidden (64), learning_rate (0.01), batch_size (32), seed (1), version
// result: train_loss, train_accuracy, test_accuracy, epochs, model (name:version)
#load "mlp.csx"

async Task<object> Run(string input, string output, ScriptParams p)
{
    var epochs = p.GetInt("epochs", 100);
    var hidden = p.GetInt("hidden", 64);
    var learningRate = p.GetDouble("learning_rate", 0.01);
    var batchSize = p.GetInt("batch_size", 32);
    if (epochs < 1 || hidden < 1 || batchSize < 1 || learningRate <= 0) throw new ArgumentException("epochs, hidden and batch_size must be positive, learning_rate above 0");
    manual_seed((ulong)p.GetInt("seed", 1));

    var dataset = await Context.Lake.OpenDatasetAsync(input, Context.CancellationToken);
    var (trainRows, trainLabels, testRows, testLabels, features) = await ReadSplitsAsync(dataset);
    if (trainLabels.Length == 0) throw new InvalidDataException($"dataset {input} has no training rows");
    var classes = (int)trainLabels.Concat(testLabels).Max() + 1;
    Context.Log($"training a {features}-{hidden}-{classes} MLP on {trainLabels.Length} rows of {input}");

    using var model = new TabularMlp(features, hidden, classes);
    model.Standardise(trainRows);
    using var optimizer = optim.Adam(model.parameters(), lr: learningRate);
    var order = Enumerable.Range(0, trainLabels.Length).ToArray();
    var shuffle = new Random(p.GetInt("seed", 1));
    double loss = 0;
    for (var epoch = 1; epoch <= epochs; epoch++)
    {
        Context.CancellationToken.ThrowIfCancellationRequested();
        model.train();
        shuffle.Shuffle(order);
        double lossSum = 0;
        for (var start = 0; start < order.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var rows = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var x = tensor(rows.SelectMany(r => trainRows.AsSpan(r * features, features).ToArray()).ToArray(), rows.Length, features);
            var y = tensor(rows.Select(r => trainLabels[r]).ToArray(), rows.Length);
            optimizer.zero_grad();
            var batchLoss = nn.functional.cross_entropy(model.forward(x), y);
            batchLoss.backward();
            optimizer.step();
            lossSum += batchLoss.item<double>() * rows.Length;
        }
        loss = lossSum / order.Length;
        if (epoch % 10 == 0 || epoch == epochs) Context.Progress((double)epoch / epochs, $"epoch {epoch}/{epochs}", new { epoch, loss });
    }

    var trainAccuracy = Accuracy(model, trainRows, trainLabels);
    var testAccuracy = testLabels.Length == 0 ? double.NaN : Accuracy(model, testRows, testLabels);
    var saved = await Context.Lake.SaveModelAsync(output, TabularMlp.Architecture, model.save_state_dict(),
        metrics: new { train_loss = loss, train_accuracy = trainAccuracy, test_accuracy = testAccuracy, epochs },
        parameters: new { features, hidden, classes, epochs, learning_rate = learningRate, batch_size = batchSize },
        version: p.GetString("version"), ct: Context.CancellationToken);
    return new { train_loss = loss, train_accuracy = trainAccuracy, test_accuracy = testAccuracy, epochs, model = saved.ToString() };
}

static async Task<(float[] TrainRows, long[] TrainLabels, float[] TestRows, long[] TestLabels, int Features)> ReadSplitsAsync(
    AiPlatform.Lake.Dataset.LanceDataset dataset)
{
    var (trainRows, trainLabels, testRows, testLabels) = (new List<float>(), new List<long>(), new List<float>(), new List<long>());
    var features = 0;
    await foreach (var chunk in dataset.ReadBatchesAsync(16_384, ["features", "label", "split"]))
    {
        var column = chunk.Column<FixedSizeListFloat32Column>("features");
        features = column.Values.Length / Math.Max(1, chunk.Length);
        var labels = chunk.Column<Int64Column>("label").Values;
        var splits = chunk.Column<StringColumn>("split");
        for (var i = 0; i < chunk.Length; i++)
        {
            var (rows, into) = splits[i] == "test" ? (testRows, testLabels) : (trainRows, trainLabels);
            rows.AddRange(column.Values.AsSpan(i * features, features).ToArray());
            into.Add(labels[i]);
        }
    }
    return (trainRows.ToArray(), trainLabels.ToArray(), testRows.ToArray(), testLabels.ToArray(), features);
}

/// <summary>Synchronous on purpose: autograd's on/off switch belongs to a thread, and an await could change thread.</summary>
static double Accuracy(TabularMlp model, float[] rows, long[] labels)
{
    model.eval();
    using var noGrad = no_grad();
    using var scope = NewDisposeScope();
    var predicted = model.forward(tensor(rows, labels.Length, model.Features)).argmax(1).ToArray<long>();
    return (double)predicted.Zip(labels).Count(pair => pair.First == pair.Second) / labels.Length;
}
