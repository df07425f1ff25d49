using System.Text.RegularExpressions;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Deployment.Tests;

/// <summary>The compose file users run with Docker: validated by docker-compose itself (no engine is needed for that).</summary>
public sealed class ComposeFileTests
{
    private static readonly Dictionary<string, string> Secrets = new()
    {
        ["RABBITMQ_PASSWORD"] = "test-rabbit-secret", ["POSTGRES_PASSWORD"] = "test-pg-secret", ["MINIO_ROOT_PASSWORD"] = "test-minio-secret",
        ["RABBITMQ_GATEWAY_PASSWORD"] = "test-rabbit-gateway", ["RABBITMQ_INGEST_PASSWORD"] = "test-rabbit-ingest",
        ["RABBITMQ_TRAIN_PASSWORD"] = "test-rabbit-train", ["RABBITMQ_SERVE_PASSWORD"] = "test-rabbit-serve",
    };

    [Fact]
    public void Compose_file_is_valid_and_has_every_service()
    {
        var (exitCode, output) = Compose(Secrets, "config", "--services");
        Assert.True(exitCode == 0, output);
        var services = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var expected in new[] { "rabbitmq", "postgres", "minio", "minio-init", "gateway", "worker-ingest", "worker-train", "worker-serve", "prometheus", "alertmanager" })
            Assert.Contains(expected, services);
    }

    [Fact]
    public void Published_ports_bind_to_loopback_only_and_images_are_the_documented_ones()
    {
        var (exitCode, config) = Compose(Secrets, "config");
        Assert.True(exitCode == 0, config);
        Assert.Contains("rabbitmq:3.13.7-management", config);
        Assert.Contains("postgres:16.4", config);
        Assert.Contains("minio/minio:RELEASE.", config);
        Assert.Contains("prom/prometheus:v2.42.0", config);
        Assert.Contains("prom/alertmanager:v0.25.0", config);
        Assert.Contains("dockerfile: deploy/Dockerfile", config);
        // docker-compose 1.29 prints each published port as "- HOST_IP:HOST_PORT:CONTAINER_PORT/tcp".
        var published = Regex.Matches(config, @"^\s*- (?:([\d.]+):)?\d+:\d+/(?:tcp|udp)\s*$", RegexOptions.Multiline);
        Assert.NotEmpty(published);
        Assert.All(published, port => Assert.Equal("127.0.0.1", port.Groups[1].Value));
    }

    [Fact]
    public void Every_image_is_pinned_to_a_version()
    {
        var (exitCode, config) = Compose(Secrets, "config");
        Assert.True(exitCode == 0, config);
        var images = Regex.Matches(config, @"^\s*image: (\S+)\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(6, images.Count);
        Assert.All(images, image => Assert.Matches(@":(v?\d+\.\d+[\w.-]*|RELEASE\.\d{4}-\d\d-\d\dT[\dZ-]+)$", image));
    }

    [Fact]
    public void Gateway_and_workers_are_probed_on_readyz_and_scraped_by_prometheus()
    {
        var (exitCode, config) = Compose(Secrets, "config");
        Assert.True(exitCode == 0, config);
        foreach (var (service, port) in new[] { ("gateway", 8080), ("worker-ingest", 9090), ("worker-train", 9090), ("worker-serve", 9090) })
        {
            var block = ServiceBlock(config, service);
            Assert.Contains($"/dev/tcp/127.0.0.1/{port}", block);
            Assert.Contains("GET /readyz", block);
            if (service.StartsWith("worker-", StringComparison.Ordinal))
                Assert.Contains("Worker__HttpHost: 0.0.0.0", block);
        }
        var prometheus = ServiceBlock(config, "prometheus");
        Assert.Contains("deploy/prometheus/compose/prometheus.yml:/etc/prometheus/prometheus.yml:ro", prometheus);
        Assert.Contains("deploy/prometheus/alert-rules.yml:/etc/prometheus/alert-rules.yml:ro", prometheus);
        var scrape = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "prometheus", "compose", "prometheus.yml"));
        foreach (var worker in new[] { "worker-ingest", "worker-train", "worker-serve" }) Assert.Contains($"\"{worker}\"", scrape);
    }

    /// <summary>One service's lines of the normalised config docker-compose prints (two-space indented, sorted).</summary>
    private static string ServiceBlock(string config, string service)
    {
        var match = Regex.Match(config, $@"^  {Regex.Escape(service)}:\n(.*?)(?=^  \S|^\S)", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(match.Success, $"service {service} not found");
        return match.Groups[1].Value;
    }

    [Fact]
    public void Each_process_reaches_the_broker_with_its_roles_account_which_the_broker_loads_at_boot()
    {
        var (exitCode, config) = Compose(Secrets, "config");
        Assert.True(exitCode == 0, config);
        foreach (var (service, role) in new[] { ("gateway", "gateway"), ("worker-ingest", "ingest"), ("worker-train", "train"), ("worker-serve", "serve") })
        {
            var block = ServiceBlock(config, service);
            Assert.Contains($"RabbitMq__Username: aip-{role}", block);
            Assert.Contains($"RabbitMq__Password: test-rabbit-{role}", block);
            Assert.DoesNotContain("test-rabbit-secret", block);
        }
        var rabbitmq = ServiceBlock(config, "rabbitmq");
        Assert.Contains("/etc/aiplatform/rabbitmq/boot.sh", rabbitmq);
        Assert.Contains("deploy/rabbitmq:/etc/aiplatform/rabbitmq:ro", rabbitmq);
        foreach (var role in new[] { "GATEWAY", "INGEST", "TRAIN", "SERVE" }) Assert.Contains($"RABBITMQ_{role}_PASSWORD: test-rabbit-{role.ToLowerInvariant()}", rabbitmq);
        Assert.Contains("load_definitions = /tmp/aiplatform-definitions.json", File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "rabbitmq.conf")));
    }

    [Fact]
    public void Compose_refuses_to_start_without_secrets()
    {
        var (exitCode, output) = Compose(new Dictionary<string, string>(), "config", "-q");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("PASSWORD", output);
    }

    [Fact]
    public void Every_deployable_has_a_dockerfile_stage()
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "Dockerfile"));
        Assert.Contains("AS gateway", dockerfile);
        Assert.Contains("AS worker", dockerfile);
        foreach (var project in new[] { "Gateway", "Workers.Ingest", "Workers.Train", "Workers.Serve" })
            Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "src", project, $"{project}.csproj")), project);
    }

    private static (int ExitCode, string Output) Compose(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        // Only the secrets given here: none inherited from the shell running the tests.
        var secrets = Secrets.Keys.ToDictionary(key => key, key => environment.TryGetValue(key, out var value) ? value : null);
        return CommandLine.Run("docker-compose", RepoPaths.Root, ["-f", "docker-compose.yml", .. arguments], secrets);
    }
}
