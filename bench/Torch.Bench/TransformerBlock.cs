using System.Diagnostics;
using System.Text.Json.Nodes;
using AiPlatform.Torch;
using static AiPlatform.Torch.torch;

/// <summary>
/// One transformer encoder block (width 256, 8 heads, feed-forward 1024, dropout 0.1, batch 32, sequence 128): forward and
/// backward per iteration on this engine and on PyTorch (transformer.py), same threads and shapes, median over iterations.
/// </summary>
internal static class TransformerBlock
{
    public const int Batch = 32, Sequence = 128, Width = 256, Heads = 8, Feedforward = 1024;

    public static void Run(int threads, int iterations, bool withPython)
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
        if (!withPython) return;

        var python = RunPython(threads, iterations);
        var theirs = python["median_ms"]!.GetValue<double>();
        Console.WriteLine($"  pytorch forward+backward: median {theirs:0.0} ms per iteration, {Batch * Sequence / theirs * 1000:0} tokens/s");
        Console.WriteLine($"ratio engine/pytorch: transformer block time {ours / theirs:0.00} (lower is better)");
    }

    private static double Median(List<double> samples)
    {
        samples.Sort();
        return samples[samples.Count / 2];
    }

    private static JsonNode RunPython(int threads, int iterations)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "transformer.py"));
        info.ArgumentList.Add(threads.ToString());
        info.ArgumentList.Add(iterations.ToString());
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException("transformer.py failed: " + errors.Result);
        return JsonNode.Parse(output)!;
    }
}
