using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using MassTransit;
using Xunit;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>
/// One fleet for all platform tests: a gateway, an ingest worker, two train workers and a serve worker, with short
/// heartbeat timings so fault tests finish quickly, plus a bus client to inject events directly.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(6);
    public static readonly TimeSpan CancelResendInterval = TimeSpan.FromSeconds(3);

    private LocalFleet _fleet = null!;
    private IBusControl? _bus;

    public static readonly string TestInputRoot = Path.Combine(Path.GetTempPath(), "aiplatform-tests");

    /// <summary>A client signed in with the fleet's admin key.</summary>
    public HttpClient Http => _fleet.Http;

    public string AdminKey => _fleet.AdminKey;
    public string DatabaseConnectionString => _fleet.DatabaseConnectionString;
    public string LakeRoot => _fleet.LakeRoot;

    /// <summary>A registered model version's weights, read from this fleet's lake (the latest version when none is named).</summary>
    public async Task<byte[]> ReadModelWeightsAsync(string model, long? version = null) =>
        (await new LakeCatalog(new LakeOptions { Root = LakeRoot }).Models.LoadAsync(model, version)).Weights;
    public IBus Bus => _bus!;
    public string VirtualHost => _fleet.VirtualHost;

    /// <summary>Where the fleet's processes register their /metrics addresses (Prometheus's file-based discovery).</summary>
    public string TargetsDirectory { get; } = Directory.CreateTempSubdirectory("aiplatform-targets-").FullName;

    /// <summary>One scrape of every registered process of <paramref name="service"/> (worker-serve, gateway, ...).</summary>
    public async Task<IReadOnlyList<PrometheusScrape>> ScrapeAsync(string service)
    {
        using var scraper = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var scrapes = new List<PrometheusScrape>();
        foreach (var file in Directory.GetFiles(TargetsDirectory, $"{service}-*.json"))
        {
            var target = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(file))![0]!["targets"]![0]!.GetValue<string>();
            scrapes.Add(await PrometheusScrape.GetAsync(scraper, $"http://{target}/metrics"));
        }
        return scrapes;
    }

    public async Task InitializeAsync()
    {
        _fleet = await LocalFleet.StartAsync(new FleetOptions
        {
            // As in a deployment: a worker that stays deaf after a broker outage exits, and is replaced.
            RestartWorkersThatGiveUp = true,
            Settings = new Dictionary<string, string>(TestIdentityProvider.GatewaySettings)
            {
                ["Tasks__HeartbeatTimeout"] = HeartbeatTimeout.ToString(),
                // The workers' recovery timeout below: a worker not back by then gives up and is replaced.
                ["Tasks__ReconnectGrace"] = "00:00:30",
                ["Tasks__MonitorInterval"] = "00:00:01",
                ["Tasks__UndispatchedTimeout"] = "00:00:20",
                ["Tasks__CancelResendInterval"] = CancelResendInterval.ToString(),
                ["Tasks__CheckpointSweepInterval"] = "00:00:02",
                ["Worker__HeartbeatInterval"] = "00:00:01",
                // Half the default, so the replacement of a deaf worker fits the broker-restart tests' waits.
                ["Worker__RecoveryTimeout"] = "00:00:30",
                // Where ingestion may read: the Debian data sets and fortune files, and the folders tests write their inputs to.
                ["Lake__SourceRoots__0"] = "/usr/share/datasets",
                ["Lake__SourceRoots__1"] = "/usr/share/games/fortunes",
                ["Lake__SourceRoots__2"] = TestInputRoot,
                // Each process registers its /metrics address here, as for Prometheus, so tests can scrape workers.
                ["Monitoring__TargetsDirectory"] = TargetsDirectory,
            },
        });
        _bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(ServicesEnvironment.Get("RabbitMq__Host"),
            ushort.Parse(ServicesEnvironment.Get("RabbitMq__Port")), _fleet.VirtualHost, h =>
            {
                h.Username(ServicesEnvironment.Get("RabbitMq__Username"));
                h.Password(ServicesEnvironment.Get("RabbitMq__Password"));
            }));
        await _bus.StartAsync();
    }

    public ManagedProcess StartWorker(string project, IReadOnlyDictionary<string, string>? settings = null) => _fleet.StartWorker(project, settings);

    /// <summary>A client of the gateway sending <paramref name="credential"/> (API key or token) as a bearer, or nothing when null.</summary>
    public HttpClient Client(string? credential) => _fleet.Client(credential);

    public Task<string> CreateKeyAsync(string name, string role, string? project = null) => _fleet.CreateKeyAsync(name, role, project);

    public Task RestartGatewayAsync(TimeSpan downtime) => _fleet.RestartGatewayAsync(downtime);

    public async Task<HttpResponseMessage> PostJsonAsync(string path, object body) =>
        await Http.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    public async Task<HttpResponseMessage> PostRawAsync(string path, string body) =>
        await Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    public Task<Guid> SubmitAsync(object body) => Http.SubmitTaskAsync(body);

    public Task<JsonNode> GetTaskAsync(Guid id) => Http.GetTaskAsync(id);

    public Task<JsonNode> WaitForStatusAsync(Guid id, TimeSpan timeout, params string[] statuses) => Http.WaitForTaskStatusAsync(id, timeout, statuses);

    /// <summary>Asks inference service <paramref name="service"/> for a prediction; anything but a success fails the test with the answer.</summary>
    public async Task<JsonNode> PredictAsync(Guid service, object body)
    {
        using var response = await PostJsonAsync($"/api/v1/tasks/{service}/predict", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"predict answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task<JsonArray> GetEventsAsync(Guid id)
    {
        using var response = await Http.GetAsync($"/api/v1/tasks/{id}/events");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
    }

    public async Task DisposeAsync()
    {
        if (_bus is not null) await _bus.StopAsync();
        await _fleet.DisposeAsync();
        Directory.Delete(TargetsDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
