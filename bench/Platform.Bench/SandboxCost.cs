using AiPlatform.Fleet;

namespace Platform.Bench;

/// <summary>
/// What the runner sandbox costs a task: dispatch latency and one worker's throughput with runners unconfined and
/// under bubblewrap, in alternating rounds on the same machine, compared as ratios (issue 13 allows 10 %).
/// </summary>
internal static class SandboxCost
{
    private static readonly string[] Modes = ["none", "bubblewrap"];

    public static async Task RunAsync(int latencyTasks, int throughputTasks, int rounds)
    {
        var figures = Modes.ToDictionary(mode => mode, _ => new List<(double P50, double P99, double Throughput)>());
        for (var round = 1; round <= rounds; round++)
        foreach (var mode in Modes)
        {
            await using var fleet = await LocalFleet.StartAsync(new FleetOptions
            {
                Workers = ["Workers.Ingest"],
                Settings = new Dictionary<string, string> { ["Worker__Sandbox"] = mode },
            });
            var tasks = new TrivialTasks(fleet);
            await tasks.RunBatchAsync(10);
            var running = (await tasks.TraceSequentialAsync(latencyTasks)).Select(t => t.ToScriptRunning).ToList();
            var throughput = await tasks.RunBatchAsync(throughputTasks);
            var (p50, p99) = (DispatchBreakdown.Percentile(running, 50), DispatchBreakdown.Percentile(running, 99));
            figures[mode].Add((p50, p99, throughput));
            Console.WriteLine($"round {round}, sandbox {mode,-10}: dispatch p50 {p50,6:0.0} ms, p99 {p99,6:0.0} ms; throughput {throughput,5:0.0} tasks/s");
        }

        double Median(IEnumerable<double> values) => values.Order().ElementAt(rounds / 2);
        var (off, on) = (figures["none"], figures["bubblewrap"]);
        Console.WriteLine($"sandboxed / unconfined, medians of {rounds} rounds (latency: lower is better; throughput: higher is better):");
        Console.WriteLine($"  dispatch p50 x{Median(on.Select(f => f.P50)) / Median(off.Select(f => f.P50)):0.00}, " +
                          $"p99 x{Median(on.Select(f => f.P99)) / Median(off.Select(f => f.P99)):0.00}, " +
                          $"throughput x{Median(on.Select(f => f.Throughput)) / Median(off.Select(f => f.Throughput)):0.00}");
    }
}
