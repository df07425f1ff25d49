using System.Net;
using System.Text;
using System.Text.Json;
using AiPlatform.Fleet;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>Adding a serve worker while a service is busy: the new replica shares the load and no request fails meanwhile.</summary>
public sealed class ServeScalingTests
{
    [Fact]
    public async Task A_serve_worker_started_under_load_takes_a_share_of_the_requests_and_fails_none_while_it_catches_up()
    {
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = ["Workers.Serve"] });
        await new LakeCatalog(new LakeOptions { Root = fleet.LakeRoot }).Models.SaveAsync("echo-scaling-model", new ModelArtifact("Echo", [0], [], [], []));
        var service = await fleet.Http.SubmitTaskAsync(new { type = "inference", name = "echo-scaling", model = "echo-scaling-model", script = "serving/echo_predictor.csx" });
        var running = await fleet.Http.WaitForTaskStatusAsync(service, TimeSpan.FromSeconds(90), "running", "failed");
        Assert.True(running["status"]!.GetValue<string>() == "running", running.ToJsonString());

        var failures = new List<string>();
        var servedBy = new HashSet<string>();
        using var load = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(client => Task.Run(async () =>
        {
            for (var id = client * 1_000_000; !load.IsCancellationRequested; id++)
            {
                using var response = await fleet.Http.PostAsync($"/api/v1/tasks/{service}/predict",
                    new StringContent(JsonSerializer.Serialize(new { id }), Encoding.UTF8, "application/json"));
                lock (failures)
                {
                    if (response.StatusCode != HttpStatusCode.OK) failures.Add($"{response.StatusCode} {response.Content.ReadAsStringAsync().Result}");
                    else servedBy.Add(response.Headers.GetValues("X-Served-By").Single());
                }
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1));
        var first = Assert.Single(Snapshot());
        fleet.StartWorker("Workers.Serve");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (Snapshot().Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(250);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await load.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(failures.Count == 0, $"{failures.Count} requests failed while the second worker joined, the first: {failures.FirstOrDefault()}");
        Assert.Contains(Snapshot(), worker => worker != first);

        List<string> Snapshot()
        {
            lock (failures) return servedBy.ToList();
        }
    }
}
