using AiPlatform.Fleet;

namespace Platform.Bench;

/// <summary>
/// Dispatch latency and one ingest worker's throughput of trivial tasks under a baseline's settings and under each
/// candidate's, in alternating rounds on the same machine (a fresh fleet each), compared as ratios of the medians:
/// what each candidate costs.
/// </summary>
internal static class SettingsComparison
{
    /// <param name="Alongside">Started once the fleet is up and disposed before it stops: load the mode puts beside the tasks.</param>
    /// <param name="Submitters">Keys the tasks are submitted with, in turn (each gets runners of its own).</param>
    public sealed record Mode(string Name, IReadOnlyDictionary<string, string> Settings, Func<LocalFleet, IAsyncDisposable>? Alongside = null,
        int Submitters = 1);

    public static async Task RunAsync(Mode baseline, IReadOnlyList<Mode> candidates, int latencyTasks, int throughputTasks, int rounds)
    {
        Mode[] modes = [baseline, .. candidates];
        var figures = modes.ToDictionary(m => m.Name, _ => new List<(double P50, double P99, double Throughput)>());
        for (var round = 1; round <= rounds; round++)
        foreach (var mode in modes)
        {
            await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = ["Workers.Ingest"], Settings = mode.Settings });
            var alongside = mode.Alongside?.Invoke(fleet);
            var submitters = await SubmittersAsync(fleet, mode.Submitters);
            try
            {
                var (p50, p99, throughput) = await new TrivialTasks(fleet.Http, submitters).MeasureAsync(latencyTasks, throughputTasks);
                figures[mode.Name].Add((p50, p99, throughput));
                Console.WriteLine($"round {round}, {mode.Name,-22}: dispatch p50 {p50,6:0.0} ms, p99 {p99,6:0.0} ms; throughput {throughput,5:0.0} tasks/s");
            }
            finally
            {
                if (alongside is not null) await alongside.DisposeAsync();
                foreach (var client in submitters.Where(c => c != fleet.Http)) client.Dispose();
            }
        }

        double Median(IEnumerable<double> values) => values.Order().ElementAt(rounds / 2);
        var off = figures[baseline.Name];
        Console.WriteLine($"against {baseline.Name}, medians of {rounds} rounds (latency: lower is better; throughput: higher is better):");
        foreach (var candidate in candidates)
        {
            var on = figures[candidate.Name];
            Console.WriteLine($"  {candidate.Name}: dispatch p50 x{Median(on.Select(f => f.P50)) / Median(off.Select(f => f.P50)):0.00}, " +
                              $"p99 x{Median(on.Select(f => f.P99)) / Median(off.Select(f => f.P99)):0.00}, " +
                              $"throughput x{Median(on.Select(f => f.Throughput)) / Median(off.Select(f => f.Throughput)):0.00}");
        }
    }

    private static async Task<IReadOnlyList<HttpClient>> SubmittersAsync(LocalFleet fleet, int count)
    {
        if (count == 1) return [fleet.Http];
        var clients = new List<HttpClient>();
        for (var i = 0; i < count; i++) clients.Add(fleet.Client(await fleet.CreateKeyAsync($"bench-submitter-{i}", "operator")));
        return clients;
    }
}
