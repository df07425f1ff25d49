using System.Net.Http.Headers;
using AiPlatform.Fleet;

namespace Platform.Bench;

/// <summary>
/// Dispatch latency and one ingest worker's throughput of trivial tasks on a host fleet and through the containerised
/// deployment (eng/containers.sh: gateway, broker, database and workers in containers on their own podman network), in
/// alternating rounds, compared as ratios of the medians: what running in containers costs. Both run the container
/// tests' hold.csx for no time, a script both deployments have.
/// </summary>
internal static class ContainersCost
{
    public static async Task RunAsync(int latencyTasks, int throughputTasks, int rounds)
    {
        using var deployment = DeploymentClient();
        var hostSettings = new Dictionary<string, string>
        {
            ["Scripts__Roots__2"] = Path.Combine(RepoPaths.Root, "tests", "Containers.Tests", "scripts"),
        };
        var host = new List<(double P50, double P99, double Throughput)>();
        var containers = new List<(double P50, double P99, double Throughput)>();
        for (var round = 1; round <= rounds; round++)
        {
            await using (var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = ["Workers.Ingest"], Settings = hostSettings }))
                host.Add(await new TrivialTasks(fleet.Http, script: TrivialScript.Hold).MeasureAsync(latencyTasks, throughputTasks));
            Print(round, "host fleet", host[^1]);
            containers.Add(await new TrivialTasks(deployment, script: TrivialScript.Hold).MeasureAsync(latencyTasks, throughputTasks));
            Print(round, "containers", containers[^1]);
        }

        double Median(IEnumerable<double> values) => DispatchBreakdown.Percentile(values, 50);
        Console.WriteLine($"containers against the host fleet, medians of {rounds} rounds (latency: lower is better; throughput: higher is better):");
        Console.WriteLine($"  dispatch p50 x{Median(containers.Select(f => f.P50)) / Median(host.Select(f => f.P50)):0.00}, " +
                          $"p99 x{Median(containers.Select(f => f.P99)) / Median(host.Select(f => f.P99)):0.00}, " +
                          $"throughput x{Median(containers.Select(f => f.Throughput)) / Median(host.Select(f => f.Throughput)):0.00}");
    }

    private static void Print(int round, string where, (double P50, double P99, double Throughput) figures) =>
        Console.WriteLine($"round {round}, {where,-10}: dispatch p50 {figures.P50,6:0.0} ms, p99 {figures.P99,6:0.0} ms; throughput {figures.Throughput,5:0.0} tasks/s");

    /// <summary>The containerised gateway eng/containers.sh publishes, with the admin key it made.</summary>
    private static HttpClient DeploymentClient()
    {
        var port = Environment.GetEnvironmentVariable("AIP_CONTAINERS_GATEWAY_PORT") ?? "5180";
        var keyFile = Path.Combine(RepoPaths.Root, ".state", "containers", "admin.key");
        var key = Environment.GetEnvironmentVariable("AIP_API_KEY")
            ?? (File.Exists(keyFile) ? File.ReadAllText(keyFile).Trim() : throw new InvalidOperationException(
                $"no {keyFile}: start the containerised deployment first (bash eng/containers.sh up)"));
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
