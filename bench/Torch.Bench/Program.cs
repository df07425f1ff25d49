// Tensor-engine benchmark: the reference CNN on Fashion-MNIST and a transformer encoder block, through this engine,
// TorchSharp-cpu (LibTorch 2.10) and Python PyTorch (Debian's python3-torch), same threads, data and shapes, in one run.
// usage: dotnet run -c Release --project bench/Torch.Bench [-- --epochs 1 --threads 2 --iterations 20 --only cnn|transformer
//        --skip-python --skip-torchsharp]
using System.Diagnostics;
using System.Text.Json.Nodes;
using AiPlatform.Torch;
using static AiPlatform.Torch.torch;

var epochs = Option("--epochs", 1);
var threads = Option("--threads", Environment.ProcessorCount);
var withPython = !args.Contains("--skip-python");
var withTorchSharp = !args.Contains("--skip-torchsharp");
var only = OptionText("--only");
if (only is not (null or "cnn" or "transformer")) throw new ArgumentException($"--only takes cnn or transformer, not '{only}'");
set_num_threads(threads);
if (only != "transformer") ReferenceCnnBenchmark(epochs, threads, withPython, withTorchSharp);
if (only != "cnn") TransformerBlock.Run(threads, Option("--iterations", 20), withPython, withTorchSharp);

static void ReferenceCnnBenchmark(int epochs, int threads, bool withPython, bool withTorchSharp)
{
    manual_seed(1);
    var train = FashionMnist.Load("train");
    var test = FashionMnist.Load("t10k");
    Console.WriteLine($"Reference CNN on Fashion-MNIST: {train.Count} train / {test.Count} test images, batch 64, Adam 1e-3, {threads} threads");

    using var model = new ReferenceCnn();
    using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
    var ours = new List<(double Seconds, double Accuracy, double RssMb)>();
    for (var epoch = 1; epoch <= epochs; epoch++)
    {
        model.train();
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < train.Count; start += 64)
        {
            using var scope = NewDisposeScope();
            var size = Math.Min(64, train.Count - start);
            var x = tensor(train.Images.AsSpan(start * 784, size * 784), size, 784);
            var y = tensor(train.Labels.AsSpan(start, size), size);
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(x), y);
            loss.backward();
            optimizer.step();
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var accuracy = Evaluate(model, test);
        var rss = PeakRssMb();
        ours.Add((seconds, accuracy, rss));
        Console.WriteLine($"  engine  epoch {epoch}: {seconds:0.00} s, test accuracy {accuracy:P2}, peak RSS {rss:0} MB, live tensors {Tensor.LiveCount}");
    }
    var (latency, throughput) = MeasureInference(model, test);
    Console.WriteLine($"  engine  inference: single-image median {latency:0.000} ms, batch-256 {throughput:0} images/s");
    var (save, load, megabytes) = MeasureCheckpoint(model, optimizer);
    Console.WriteLine($"  engine  checkpoint (weights + Adam state, {megabytes:0.0} MB): save median {save:0.0} ms, load median {load:0.0} ms, " +
                      $"save = {save / 1000 / ours[^1].Seconds:P2} of an epoch");

    if (withPython)
    {
        var python = ChildBenchmark.Python("reference.py", threads.ToString(), epochs.ToString());
        var pyEpochs = python.Where(j => j["epoch"] is not null).ToList();
        foreach (var e in pyEpochs)
            Console.WriteLine($"  pytorch epoch {e["epoch"]}: {e["seconds"]!.GetValue<double>():0.00} s, test accuracy {e["accuracy"]!.GetValue<double>():P2}");
        var pyInference = python.Last();
        var pyLatency = pyInference["latency_ms"]!.GetValue<double>();
        var pyThroughput = pyInference["throughput"]!.GetValue<double>();
        Console.WriteLine($"  pytorch inference: single-image median {pyLatency:0.000} ms, batch-256 {pyThroughput:0} images/s");
        var pyFirst = pyEpochs[0]["seconds"]!.GetValue<double>();
        Console.WriteLine($"ratio engine/pytorch: epoch time {ours[0].Seconds / pyFirst:0.00} (goal <= 0.9), " +
                          $"latency {latency / pyLatency:0.00} (goal <= 0.9), batch throughput {throughput / pyThroughput:0.00} (higher is better), " +
                          $"accuracy difference {(ours[^1].Accuracy - pyEpochs[^1]["accuracy"]!.GetValue<double>()) * 100:+0.00;-0.00} points");
    }
    if (withTorchSharp)
    {
        var sharp = ChildBenchmark.TorchSharp("cnn", threads.ToString(), epochs.ToString());
        var sharpEpochs = sharp.Where(j => j["epoch"] is not null).ToList();
        foreach (var e in sharpEpochs)
            Console.WriteLine($"  torchsharp epoch {e["epoch"]}: {e["seconds"]!.GetValue<double>():0.00} s, test accuracy {e["accuracy"]!.GetValue<double>():P2}");
        var inference = sharp.Single(j => j["latency_ms"] is not null);
        var sharpLatency = inference["latency_ms"]!.GetValue<double>();
        var sharpThroughput = inference["throughput"]!.GetValue<double>();
        Console.WriteLine($"  torchsharp inference: single-image median {sharpLatency:0.000} ms, batch-256 {sharpThroughput:0} images/s");
        var checkpoint = sharp.Single(j => j["checkpoint_save_ms"] is not null);
        var sharpSave = checkpoint["checkpoint_save_ms"]!.GetValue<double>();
        var sharpLoad = checkpoint["checkpoint_load_ms"]!.GetValue<double>();
        Console.WriteLine($"  torchsharp checkpoint (weights + Adam state, PyBridge, {checkpoint["checkpoint_mb"]!.GetValue<double>():0.0} MB): " +
                          $"save median {sharpSave:0.0} ms, load median {sharpLoad:0.0} ms");
        Console.WriteLine($"ratio engine/torchsharp: epoch time {ours[0].Seconds / sharpEpochs[0]["seconds"]!.GetValue<double>():0.00} (below 1: the own engine " +
                          $"stays the default), latency {latency / sharpLatency:0.00}, batch throughput {throughput / sharpThroughput:0.00}, " +
                          $"checkpoint save {save / sharpSave:0.00}, load {load / sharpLoad:0.00}");
    }
}

/// <summary>What a per-epoch checkpoint costs the training: serialising weights and optimizer state, and restoring both.</summary>
static (double SaveMs, double LoadMs, double Megabytes) MeasureCheckpoint(ReferenceCnn model, optim.Optimizer optimizer)
{
    var saves = new List<double>();
    var loads = new List<double>();
    long bytes = 0;
    for (var i = 0; i < 20; i++)
    {
        var clock = Stopwatch.StartNew();
        var (weights, state) = (model.save_state_dict(), optimizer.save_state_dict());
        saves.Add(clock.Elapsed.TotalMilliseconds);
        bytes = weights.Length + state.Length;
        clock.Restart();
        model.load_state_dict(weights);
        optimizer.load_state_dict(state);
        loads.Add(clock.Elapsed.TotalMilliseconds);
    }
    return (saves.Order().ElementAt(10), loads.Order().ElementAt(10), bytes / 1e6);
}

static double Evaluate(ReferenceCnn model, FashionMnist data)
{
    model.eval();
    using var noGrad = no_grad();
    long correct = 0;
    for (var start = 0; start < data.Count; start += 1000)
    {
        using var scope = NewDisposeScope();
        var size = Math.Min(1000, data.Count - start);
        var predicted = model.forward(tensor(data.Images.AsSpan(start * 784, size * 784), size, 784)).argmax(1);
        correct += predicted.eq(tensor(data.Labels.AsSpan(start, size), size)).sum().item<long>();
    }
    return (double)correct / data.Count;
}

static (double LatencyMs, double Throughput) MeasureInference(ReferenceCnn model, FashionMnist data)
{
    model.eval();
    using var noGrad = no_grad();
    var samples = new List<double>();
    for (var i = 0; i < 320; i++)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var x = tensor(data.Images.AsSpan(0, 784), 1, 784);
        _ = model.forward(x).softmax(1).ToArray<float>();
        if (i >= 20) samples.Add(clock.Elapsed.TotalMilliseconds);
    }
    samples.Sort();
    const int rounds = 20;
    var batchClock = new Stopwatch();
    for (var i = 0; i < rounds + 3; i++)
    {
        using var scope = NewDisposeScope();
        if (i == 3) batchClock.Start();
        _ = model.forward(tensor(data.Images.AsSpan(0, 256 * 784), 256, 784)).ToArray<float>();
    }
    return (samples[samples.Count / 2], rounds * 256 / batchClock.Elapsed.TotalSeconds);
}

static double PeakRssMb()
{
    var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
}

int Option(string name, int fallback) => OptionText(name) is { } value ? int.Parse(value) : fallback;

string? OptionText(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
