// TorchSharp-cpu side of Torch.Bench: the same reference CNN, data order, batch, thread count and transformer block as
// Program.cs there and its Python scripts, printing one JSON line per measurement for Torch.Bench to compare.
// usage: dotnet Torch.Bench.TorchSharp.dll cnn <threads> <epochs> | transformer <threads> <iterations>
using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

var (mode, threads, count) = (args[0], int.Parse(args[1]), int.Parse(args[2]));
set_num_threads(threads);
switch (mode)
{
    case "cnn": ReferenceCnnBenchmark(count); break;
    case "transformer": TransformerBlock(count); break;
    default: throw new ArgumentException($"mode is cnn or transformer, not '{mode}'");
}

static void ReferenceCnnBenchmark(int epochs)
{
    manual_seed(1);
    var train = FashionMnist.Load("train");
    var test = FashionMnist.Load("t10k");
    var model = new ReferenceCnn();
    var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
    var trainX = tensor(train.Images, [train.Count, 784]);
    var trainY = tensor(train.Labels);
    var testX = tensor(test.Images, [test.Count, 784]);
    var testY = tensor(test.Labels);
    for (var epoch = 1; epoch <= epochs; epoch++)
    {
        model.train();
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < train.Count; start += 64)
        {
            using var scope = NewDisposeScope();
            var size = Math.Min(64, train.Count - start);
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(trainX.narrow(0, start, size)), trainY.narrow(0, start, size));
            loss.backward();
            optimizer.step();
        }
        var seconds = clock.Elapsed.TotalSeconds;
        Print(new { epoch, seconds, accuracy = Accuracy(model, testX, testY) });
    }

    model.eval();
    using (no_grad())
    {
        var samples = new List<double>();
        for (var i = 0; i < 320; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            _ = model.forward(testX.narrow(0, 0, 1)).softmax(1).data<float>().ToArray();
            if (i >= 20) samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        const int rounds = 20;
        var batchClock = new Stopwatch();
        for (var i = 0; i < rounds + 3; i++)
        {
            using var scope = NewDisposeScope();
            if (i == 3) batchClock.Start();
            _ = model.forward(testX.narrow(0, 0, 256)).data<float>().ToArray();
        }
        Print(new { latency_ms = Median(samples), throughput = rounds * 256 / batchClock.Elapsed.TotalSeconds });
    }

    // A per-epoch checkpoint as the TorchSharp training script saves it: weights and Adam's state in PyTorch's format.
    var saves = new List<double>();
    var loads = new List<double>();
    long bytes = 0;
    for (var i = 0; i < 20; i++)
    {
        var clock = Stopwatch.StartNew();
        using var weights = new MemoryStream();
        using var state = new MemoryStream();
        model.save_py(weights, leaveOpen: true);
        optimizer.save_py(state, leaveOpen: true);
        saves.Add(clock.Elapsed.TotalMilliseconds);
        bytes = weights.Length + state.Length;
        weights.Position = state.Position = 0;
        clock.Restart();
        model.load_py(weights, leaveOpen: true);
        optimizer.load_py(state, leaveOpen: true);
        loads.Add(clock.Elapsed.TotalMilliseconds);
    }
    Print(new { checkpoint_save_ms = Median(saves), checkpoint_load_ms = Median(loads), checkpoint_mb = bytes / 1e6 });
}

static double Accuracy(ReferenceCnn model, Tensor images, Tensor labels)
{
    model.eval();
    using var noGrad = no_grad();
    long correct = 0;
    for (long start = 0; start < labels.shape[0]; start += 1000)
    {
        using var scope = NewDisposeScope();
        var size = Math.Min(1000, labels.shape[0] - start);
        correct += model.forward(images.narrow(0, start, size)).argmax(1).eq(labels.narrow(0, start, size)).sum().item<long>();
    }
    return (double)correct / labels.shape[0];
}

// The block of TransformerBlock.cs. TorchSharp's layer has no batch_first: the same tensor, sequence first.
static void TransformerBlock(int iterations)
{
    manual_seed(2);
    var block = nn.TransformerEncoderLayer(256, 8, 1024, dropout: 0.1, activation: nn.Activations.ReLU);
    block.train();
    var x = randn(128, 32, 256);
    var samples = new List<double>();
    for (var i = 0; i < iterations + 3; i++)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        block.zero_grad();
        block.call(x).pow(2).mean().backward();
        if (i >= 3) samples.Add(clock.Elapsed.TotalMilliseconds);
    }
    Print(new { median_ms = Median(samples) });
}

static double Median(List<double> samples)
{
    samples.Sort();
    return samples[samples.Count / 2];
}

static void Print(object measurement) => Console.WriteLine(JsonSerializer.Serialize(measurement));

/// <summary>The reference CNN (scripts/mnist-torchsharp/cnn.csx), as a compiled class.</summary>
internal sealed class ReferenceCnn : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv1 = nn.Conv2d(1, 32, 3, padding: 1);
    private readonly nn.Module<Tensor, Tensor> conv2 = nn.Conv2d(32, 64, 3, padding: 1);
    private readonly nn.Module<Tensor, Tensor> fc1 = nn.Linear(3136, 128);
    private readonly nn.Module<Tensor, Tensor> fc2 = nn.Linear(128, 10);
    private readonly nn.Module<Tensor, Tensor> dropout = nn.Dropout(0.25);

    public ReferenceCnn() : base(nameof(ReferenceCnn)) => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        x = nn.functional.max_pool2d(nn.functional.relu(conv1.forward(x.reshape(-1, 1, 28, 28))), 2, 2);
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.forward(x)), 2, 2);
        return fc2.forward(dropout.forward(nn.functional.relu(fc1.forward(x.flatten(1)))));
    }
}
