using System.Diagnostics;
using AiPlatform.Torch;
using static AiPlatform.Torch.torch;

/// <summary>
/// One transformer encoder block (width 256, 8 heads, feed-forward 1024, dropout 0.1, batch 32, sequence 128): forward and
/// backward per iteration on this engine and on PyTorch (transformer.py), same threads and shapes, median over iterations.
/// </summary>
internal static class TransformerBlock
{
    public const int Batch = 32, Sequence = 128, Width = 256, Heads = 8, Feedforward = 1024;

    public static void Run(int threads, int iterations, bool withPython, bool withTorchSharp)
    {
        Console.WriteLine($"Transformer encoder block: batch {Batch}, sequence {Sequence}, width {Width}, {Heads} heads, feed-forward {Feedforward}, " +
                          $"forward + backward, {iterations} iterations, {threads} threads");
        manual_seed(2);
        using var block = new nn.TransformerEncoderLayer(Width, Heads, Feedforward, dropout: 0.1, batch_first: true);
        using var data = NewDisposeScope();
        var x = randn([Batch, Sequence, Width]);
        var samples = new List<double>();
        for (var i = 0; i < iterations + 3; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            block.zero_grad();
            block.forward(x).pow(2).mean().backward();
            if (i >= 3) samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        var ours = Median(samples);
        Console.WriteLine($"  engine  forward+backward: median {ours:0.0} ms per iteration, {Batch * Sequence / ours * 1000:0} tokens/s");
        if (withPython)
        {
            var theirs = ChildBenchmark.Python("transformer.py", threads.ToString(), iterations.ToString())[0]["median_ms"]!.GetValue<double>();
            Console.WriteLine($"  pytorch forward+backward: median {theirs:0.0} ms per iteration, {Batch * Sequence / theirs * 1000:0} tokens/s");
            Console.WriteLine($"ratio engine/pytorch: transformer block time {ours / theirs:0.00} (lower is better)");
        }
        if (withTorchSharp)
        {
            var sharp = ChildBenchmark.TorchSharp("transformer", threads.ToString(), iterations.ToString())[0]["median_ms"]!.GetValue<double>();
            Console.WriteLine($"  torchsharp forward+backward: median {sharp:0.0} ms per iteration, {Batch * Sequence / sharp * 1000:0} tokens/s");
            Console.WriteLine($"ratio engine/torchsharp: transformer block time {ours / sharp:0.00} (lower is better)");
        }
    }

    private static double Median(List<double> samples)
    {
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
