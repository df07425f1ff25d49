using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// The cluster API on a local fleet whose ingest workers are kept by eng/fleet.sh's supervisor: the gateway writes the
/// desired count, the supervisor starts and stops workers, and a steady stream of tasks loses none on the way.
/// </summary>
public sealed class ClusterApiTests(ITestOutputHelper output)
{
    private const int MaxReplicas = 5;

    [Fact]
    public async Task Scaling_ingest_workers_1_to_3_to_1_keeps_tasks_flowing_and_loses_none()
    {
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions
        {
            Workers = [],
            SupervisedWorkers = new Dictionary<string, int> { ["ingest"] = 1 },
            Settings = new Dictionary<string, string>
            {
                ["Tasks__HeartbeatTimeout"] = "00:00:06",
                ["Tasks__MonitorInterval"] = "00:00:01",
                ["Worker__HeartbeatInterval"] = "00:00:01",
                ["Worker__ShutdownGracePeriod"] = "00:00:10",
                ["Cluster__MaxReplicas"] = MaxReplicas.ToString(),
            },
        });
        // The gateway's node view fills from heartbeats on its own queue, bound a moment after the first ones went out.
        await WaitForLiveIngestNodesAsync(fleet, 1, TimeSpan.FromSeconds(30));
        var node = Assert.Single(await LiveIngestNodesAsync(fleet));
        Assert.False(string.IsNullOrEmpty(node["host"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(node["version"]!.GetValue<string>()));
        Assert.Equal(1, node["slots"]!.GetValue<int>());
        Assert.True(node["memory_bytes"]!.GetValue<long>() > 0, node.ToJsonString());
        Assert.True(node["cpu_capacity"]!.GetValue<double>() > 0, node.ToJsonString());
        var ingest = await IngestResourcesAsync(fleet);
        Assert.Equal(1, ingest["workers"]!.GetValue<int>());
        Assert.Equal(1, ingest["slots_total"]!.GetValue<int>());
        Assert.Equal("ingest-tasks", ingest["queue"]!["name"]!.GetValue<string>());

        using var load = new CancellationTokenSource();
        var submitted = new List<Guid>();
        var submitting = SubmitSteadilyAsync(fleet.Http, submitted, load.Token);

        await ScaleAsync(fleet, 3);
        await WaitForLiveIngestNodesAsync(fleet, 3, TimeSpan.FromSeconds(90));
        Assert.Equal(3, (await IngestResourcesAsync(fleet))["slots_total"]!.GetValue<int>());
        // The new workers take tasks while the load goes on (their first one waits for a script runner to start).
        var first = node["worker_id"]!.GetValue<string>();
        await WaitUntilAsync(async () => (await CompletedIngestionWorkersAsync(fleet)).Any(w => w != first), TimeSpan.FromSeconds(180),
            "a task completed by a worker the scale-up started");

        await ScaleAsync(fleet, 1);
        await WaitForLiveIngestNodesAsync(fleet, 1, TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromSeconds(3));
        await load.CancelAsync();
        await submitting;

        var outcomes = new List<JsonNode>();
        foreach (var id in submitted)
            outcomes.Add(await fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromSeconds(180), "completed", "failed", "cancelled"));
        var workers = outcomes.Select(t => t["worker_id"]?.GetValue<string>()).Distinct().ToList();
        output.WriteLine($"{submitted.Count} tasks, completed by {workers.Count} workers ({string.Join(", ", workers)}); " +
                         $"{outcomes.Count(t => t["attempts"]?.GetValue<int>() > 1)} of them released by a stopped worker and run again");
        Assert.All(outcomes, t => Assert.Equal("completed", t["status"]!.GetValue<string>()));

        // A worker that dies is still started again by the same supervisor loop (the one wanted worker, a new process).
        var survivor = Assert.Single(await LiveIngestNodesAsync(fleet));
        Process.GetProcessById(survivor["process_id"]!.GetValue<int>()).Kill();
        await WaitUntilAsync(async () => (await LiveIngestNodesAsync(fleet)) is [var replacement]
                                         && replacement["worker_id"]!.GetValue<string>() != survivor["worker_id"]!.GetValue<string>(),
            TimeSpan.FromSeconds(90), "replacement of the killed worker");
    }

    [Fact]
    public async Task Scale_requests_are_validated_in_the_error_envelope_and_reserved_to_admins()
    {
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions
        {
            Workers = [],
            SupervisedWorkers = new Dictionary<string, int>(),
            Settings = new Dictionary<string, string> { ["Cluster__MaxReplicas"] = MaxReplicas.ToString() },
        });
        foreach (var (body, field) in new (object, string)[]
                 {
                     (new { kind = "gpu", replicas = 1 }, "'kind'"), (new { replicas = 1 }, "'kind'"),
                     (new { kind = "ingest", replicas = -1 }, "'replicas'"), (new { kind = "ingest", replicas = MaxReplicas + 1 }, "'replicas'"),
                     (new { kind = "train" }, "'replicas'"),
                 })
        {
            using var refused = await fleet.Http.PostAsJsonAsync("/api/v2/cluster/scale", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var (code, message) = await ApiErrorTests.ReadErrorAsync(refused);
            Assert.Equal("INVALID_REQUEST", code);
            Assert.Contains(field, message);
        }

        using var operatorClient = fleet.Client(await fleet.CreateKeyAsync("cluster-operator", "operator"));
        foreach (var (method, path) in new[] { (HttpMethod.Post, "/api/v2/cluster/scale"), (HttpMethod.Get, "/api/v2/cluster/nodes"), (HttpMethod.Get, "/api/v2/cluster/resources") })
        {
            using var request = new HttpRequestMessage(method, path) { Content = method == HttpMethod.Post ? JsonContent.Create(new { kind = "ingest", replicas = 1 }) : null };
            using var forbidden = await operatorClient.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Equal("FORBIDDEN", (await ApiErrorTests.ReadErrorAsync(forbidden)).Code);
        }

        // Nothing was written for the refused requests.
        Assert.False(File.Exists(Path.Combine(fleet.ReplicasDirectory, "ingest.replicas")));
    }

    /// <summary>
    /// Short ingestion tasks, two a second, until cancelled; at most 60, so a slow machine (new workers taking long to
    /// start) does not pile up more backlog than the test waits for.
    /// </summary>
    private static async Task SubmitSteadilyAsync(HttpClient http, List<Guid> submitted, CancellationToken ct)
    {
        for (var i = 0; i < 60 && !ct.IsCancellationRequested; i++)
        {
            submitted.Add(await http.SubmitTaskAsync(new
            {
                type = "ingestion", name = $"flow-{i}-{Guid.NewGuid():N}"[..20], script = "sleep.csx", @params = new { seconds = 1 },
            }));
            try
            {
                await Task.Delay(500, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task ScaleAsync(LocalFleet fleet, int replicas)
    {
        using var response = await fleet.Http.PostAsJsonAsync("/api/v2/cluster/scale", new { kind = "ingest", replicas });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"scale answered {(int)response.StatusCode}: {body}");
        var scaled = JsonNode.Parse(body)!;
        Assert.Equal("local", scaled["mode"]!.GetValue<string>());
        Assert.Equal(replicas, scaled["replicas"]!.GetValue<int>());
    }

    private static async Task<IEnumerable<string?>> CompletedIngestionWorkersAsync(LocalFleet fleet) =>
        (await fleet.Http.GetFromJsonAsync<JsonNode>("/api/v1/tasks?type=ingestion&status=completed&limit=200"))!["items"]!.AsArray()
        .Select(t => t!["worker_id"]?.GetValue<string>());

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {what} within {timeout.TotalSeconds} s");
            await Task.Delay(500);
        }
    }

    private static async Task<List<JsonNode>> LiveIngestNodesAsync(LocalFleet fleet) =>
        (await fleet.Http.GetFromJsonAsync<JsonArray>("/api/v2/cluster/nodes"))!
        .Where(n => n!["kind"]!.GetValue<string>() == "ingest" && !n["stale"]!.GetValue<bool>()).Select(n => n!).ToList();

    private static async Task WaitForLiveIngestNodesAsync(LocalFleet fleet, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        int live;
        do
        {
            live = (await LiveIngestNodesAsync(fleet)).Count;
            if (live == count) return;
            await Task.Delay(500);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"{live} live ingest workers after {timeout.TotalSeconds} s, expected {count}");
    }

    private static async Task<JsonNode> IngestResourcesAsync(LocalFleet fleet) =>
        (await fleet.Http.GetFromJsonAsync<JsonNode>("/api/v2/cluster/resources"))!["kinds"]!.AsArray().Single(k => k!["kind"]!.GetValue<string>() == "ingest")!;
}
