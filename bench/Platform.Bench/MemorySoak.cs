using AiPlatform.Fleet;

namespace Platform.Bench;

/// <summary>
/// Whether the gateway and the workers hold their memory over many tasks: trivial tasks in rounds on a fleet of two
/// ingest workers, the resident set of each process after every round, and its growth per thousand tasks over the
/// second half of the run (the first rounds warm caches, pools and JIT).
/// </summary>
internal static class MemorySoak
{
    public static async Task RunAsync(int tasks, int round)
    {
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = [] });
        var (first, second) = (fleet.StartWorker("Workers.Ingest"), fleet.StartWorker("Workers.Ingest"));
        while (await fleet.LiveWorkerCountAsync("ingest") < 2) await Task.Delay(200);
        var processes = new Dictionary<string, int> { ["gateway"] = fleet.Gateway.Id, ["worker 1"] = first.Id, ["worker 2"] = second.Id };
        var trivial = new TrivialTasks(fleet.Http);
        Console.WriteLine($"memory soak: {tasks} trivial tasks in rounds of {round}, 2 ingest workers; resident set (MiB) after each round");
        Console.WriteLine($"{"tasks",8}  {"tasks/s",8}  " + string.Join("  ", processes.Keys.Select(k => $"{k,9}")));
        var samples = new List<(int Done, Dictionary<string, double> Rss)>();
        for (var done = 0; done < tasks;)
        {
            var size = Math.Min(round, tasks - done);
            var rate = await trivial.RunBatchAsync(size);
            done += size;
            var rss = processes.ToDictionary(p => p.Key, p => ResidentMiB(p.Value));
            samples.Add((done, rss));
            Console.WriteLine($"{done,8}  {rate,8:0.0}  " + string.Join("  ", rss.Values.Select(v => $"{v,9:0.0}")));
        }
        var half = samples.Skip(samples.Count / 2).ToList();
        if (half.Count < 2) return;
        foreach (var name in processes.Keys)
            Console.WriteLine($"{name}: {Slope(half.Select(s => (double)s.Done).ToList(), half.Select(s => s.Rss[name]).ToList()) * 1000:+0.00;-0.00} MiB per 1,000 tasks " +
                              $"over the second half ({half[0].Rss[name]:0.0} -> {half[^1].Rss[name]:0.0} MiB)");
    }

    private static double ResidentMiB(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0).Single();

    /// <summary>The least-squares slope of y over x.</summary>
    private static double Slope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var (mx, my) = (x.Average(), y.Average());
        return x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my)) / x.Sum(v => (v - mx) * (v - mx));
    }
}
