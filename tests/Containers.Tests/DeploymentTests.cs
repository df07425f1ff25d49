using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Containers.Tests;

/// <summary>The images and the deployment as a whole: built from the Debian base, healthy, one address per container.</summary>
[Collection(DeploymentCollection.Name)]
public sealed class DeploymentTests(DeploymentFixture deployment, ITestOutputHelper output)
{
    private static readonly string[] PlatformImages = ["gateway", "worker-ingest", "worker-train", "worker-serve"];
    private static readonly string[] ServiceImages = ["rabbitmq", "postgres", "s3"];

    [PodmanFact]
    public void Images_run_as_unprivileged_users_with_health_checks()
    {
        foreach (var name in PlatformImages.Concat(ServiceImages))
        {
            var image = JsonNode.Parse(Podman.Output("image", "inspect", $"localhost/aiplatform-{name}:local"))!.AsArray()[0]!;
            var config = image["Config"]!;
            var user = config["User"]?.GetValue<string>() ?? "";
            Assert.False(user is "" or "root" or "0", $"{name} runs as root");
            Assert.NotEmpty(image["Healthcheck"]?["Test"]?.AsArray() ?? []);
            output.WriteLine($"{name}: user {user}, {image["Size"]!.GetValue<long>() / 1_000_000} MB");
        }
        foreach (var name in PlatformImages)
            Assert.Equal("aiplatform", JsonNode.Parse(Podman.Output("image", "inspect", $"localhost/aiplatform-{name}:local"))!
                .AsArray()[0]!["Config"]!["User"]!.GetValue<string>());
    }

    [PodmanFact]
    public async Task Deployment_comes_up_healthy_from_nothing_with_one_address_per_container()
    {
        output.WriteLine($"nothing -> healthy: {deployment.UpTime.TotalSeconds:0} s");
        output.WriteLine(deployment.UpOutput);
        using (var ready = await deployment.Http.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        var services = new[] { "rabbitmq", "postgres", "minio", "gateway", "worker-ingest", "worker-train", "worker-serve" };
        var addresses = new HashSet<string>();
        foreach (var service in services)
        {
            var container = Assert.Single(Podman.ContainersOf(service));
            var (health, _) = Podman.Run(["healthcheck", "run", container]);
            Assert.True(health == 0, $"{container} is not healthy");
            var networks = Podman.Inspect(container)["NetworkSettings"]!["Networks"]!.AsObject();
            var (network, settings) = Assert.Single(networks);
            Assert.Equal($"{Podman.Project}_default", network);
            Assert.True(addresses.Add(settings!["IPAddress"]!.GetValue<string>()), $"{container} shares an address");
        }
        // Only the gateway, the RabbitMQ UI and the S3 console slot are published, and only on the loopback.
        var published = Podman.Output("ps", "--filter", $"label=io.podman.compose.project={Podman.Project}", "--format", "{{.Ports}}");
        foreach (var mapping in published.Split([',', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            Assert.StartsWith("127.0.0.1:", mapping);
        Assert.Contains($"127.0.0.1:{DeploymentFixture.GatewayPort}->8080/tcp", published);

        // The workers hold no scripts and no folder of the host: scripts arrive in the task's snapshot, data in S3.
        foreach (var service in new[] { "worker-ingest", "worker-train", "worker-serve" })
        {
            var container = Podman.ContainersOf(service)[0];
            Assert.DoesNotContain(Podman.Inspect(container)["Mounts"]!.AsArray(), mount => mount!["Type"]!.GetValue<string>() == "bind");
            Assert.NotEqual(0, Podman.Run(["exec", container, "test", "-e", "/app/scripts"]).ExitCode);
        }
    }

    [PodmanFact]
    public async Task Scripts_in_worker_containers_are_sandboxed_reach_the_lake_in_s3_and_nothing_else()
    {
        var name = $"sandboxed-{Guid.NewGuid():N}"[..24];
        var id = await deployment.Http.SubmitTaskAsync(new
        {
            type = "ingestion", name, output = name, script = "sandbox_probe.csx", @params = new { rows = 500 },
        });
        var task = await deployment.Http.WaitForStatusAsync(id, TimeSpan.FromMinutes(3), "completed", "failed");
        Assert.True(task["status"]!.GetValue<string>() == "completed", task.ToJsonString());
        var result = task["result"]!;
        Assert.Equal("SocketException", result["broker"]!.GetValue<string>());
        Assert.Equal("SocketException", result["database"]!.GetValue<string>());
        Assert.Equal("aiplatform", result["user"]!.GetValue<string>());
        var dataset = (await deployment.Http.GetFromJsonAsync<JsonNode>($"/api/v1/datasets/{name}"))!;
        Assert.Equal(500, dataset["num_rows"]!.GetValue<long>());
    }
}
