using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// A worker whose lake is on S3 still gives its runners no network: they reach the S3 endpoint, and nothing else,
/// through the worker's relay. Before the relay, such runners had the whole network (the broker included).
/// </summary>
public sealed class SandboxedS3LakeTests : IAsyncLifetime
{
    private LocalFleet _fleet = null!;

    public async Task InitializeAsync() => _fleet = await LocalFleet.StartAsync(new FleetOptions
    {
        Workers = ["Workers.Ingest"],
        Settings = new Dictionary<string, string> { ["Lake__Root"] = $"s3://{ServicesEnvironment.Get("S3__Bucket")}/sandbox-{Guid.NewGuid():N}" },
    });

    public async Task DisposeAsync() => await _fleet.DisposeAsync();

    [Fact]
    public async Task A_runner_on_an_S3_lake_writes_its_dataset_but_reaches_neither_the_broker_nor_the_endpoint_directly()
    {
        var name = $"relayed-{Guid.NewGuid():N}"[..20];
        var id = await _fleet.Http.SubmitTaskAsync(new
        {
            type = "ingestion", name, output = name, script = "s3_sandbox_probe.csx",
            @params = new
            {
                rows = 1000,
                broker_port = int.Parse(ServicesEnvironment.Get("RabbitMq__Port")),
                s3_port = new Uri(ServicesEnvironment.Get("S3__ServiceUrl")).Port,
            },
        });
        var task = await _fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromSeconds(90), "completed", "failed");
        Assert.True(task["status"]!.GetValue<string>() == "completed", task.ToJsonString());
        Assert.Equal("SocketException", task["result"]!["broker"]!.GetValue<string>());
        Assert.Equal("SocketException", task["result"]!["s3_endpoint"]!.GetValue<string>());

        using var response = await _fleet.Http.GetAsync($"/api/v1/datasets/{name}");
        var dataset = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, dataset.ToJsonString());
        Assert.Equal(1000, dataset["num_rows"]!.GetValue<long>());
    }
}
