using System.Net;
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
}
