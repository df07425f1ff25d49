using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Npgsql;
using Xunit;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>
/// A whole fleet on the real local services: a gateway and workers as separate processes, on a RabbitMQ virtual host
/// and a PostgreSQL database of this test run's own, so runs never see each other's messages or rows.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(6);

    private readonly string _runId = DateTime.UtcNow.ToString("MMddHHmmss") + "_" + Guid.NewGuid().ToString("N")[..6];
    private readonly List<ManagedProcess> _processes = [];
    private IBusControl? _bus;

    public HttpClient Http { get; private set; } = null!;
    public string DatabaseConnectionString { get; private set; } = "";
    public string VirtualHost => $"aip-test-{_runId}";
    public string LakeRoot { get; } = Path.Combine(Path.GetTempPath(), "aiplatform-tests", "lake-" + Guid.NewGuid().ToString("N")[..8]);
    public string LogDirectory { get; } = Path.Combine(RepoPaths.Root, "artifacts", "test-logs");
    public IBus Bus => _bus!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        await CreateVirtualHostAsync();
        DatabaseConnectionString = await CreateDatabaseAsync();
        var port = FreePort();
        StartProcess("gateway", "Gateway", new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        await WaitForGatewayAsync();
        StartWorker("Workers.Ingest");
        StartWorker("Workers.Train");
        StartWorker("Workers.Train");
        StartWorker("Workers.Serve");
        _bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(ServicesEnvironment.Get("RabbitMq__Host"),
            ushort.Parse(ServicesEnvironment.Get("RabbitMq__Port")), VirtualHost, h =>
            {
                h.Username(ServicesEnvironment.Get("RabbitMq__Username"));
                h.Password(ServicesEnvironment.Get("RabbitMq__Password"));
            }));
        await _bus.StartAsync();
        await WaitForWorkersAsync(4);
    }

    public ManagedProcess StartWorker(string project, IReadOnlyDictionary<string, string>? extra = null) =>
        StartProcess(project.ToLowerInvariant(), project, extra ?? new Dictionary<string, string>());

    private ManagedProcess StartProcess(string name, string project, IReadOnlyDictionary<string, string> extra)
    {
        var environment = new Dictionary<string, string>(ServicesEnvironment.Values)
        {
            ["RabbitMq__VirtualHost"] = VirtualHost,
            ["ConnectionStrings__Platform"] = DatabaseConnectionString,
            ["Scripts__Roots__0"] = Path.Combine(RepoPaths.Root, "tests", "Platform.Tests", "scripts"),
            ["Scripts__Roots__1"] = Path.Combine(RepoPaths.Root, "scripts"),
            ["Tasks__HeartbeatTimeout"] = HeartbeatTimeout.ToString(),
            ["Tasks__MonitorInterval"] = "00:00:01",
            ["Worker__HeartbeatInterval"] = "00:00:01",
            ["Worker__ScriptCacheDirectory"] = Path.Combine(Path.GetTempPath(), "aiplatform-tests", "script-cache"),
            ["Lake__Root"] = LakeRoot,
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning",
        };
        foreach (var (key, value) in extra) environment[key] = value;
        var process = ManagedProcess.Start(name, RepoPaths.ProjectOutput(project), environment, LogDirectory);
        lock (_processes) _processes.Add(process);
        return process;
    }

    public async Task<HttpResponseMessage> PostJsonAsync(string path, object body) =>
        await Http.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    public async Task<HttpResponseMessage> PostRawAsync(string path, string body) =>
        await Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>Submits a task and returns its id, failing the test with the gateway's answer if it is not 201.</summary>
    public async Task<Guid> SubmitAsync(object body)
    {
        using var response = await PostJsonAsync("/api/v1/tasks", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"submit answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<Guid>();
    }

    public async Task<JsonNode> GetTaskAsync(Guid id)
    {
        using var response = await Http.GetAsync($"/api/v1/tasks/{id}");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public async Task<JsonNode> WaitForStatusAsync(Guid id, TimeSpan timeout, params string[] statuses)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode task;
        do
        {
            task = await GetTaskAsync(id);
            if (statuses.Contains(task["status"]!.GetValue<string>())) return task;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Fail($"task {id} did not reach {string.Join("|", statuses)} within {timeout.TotalSeconds} s; it is: {task.ToJsonString()}");
        return task;
    }

    public async Task<JsonArray> GetEventsAsync(Guid id)
    {
        using var response = await Http.GetAsync($"/api/v1/tasks/{id}/events");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
    }

    public async Task<IReadOnlyList<string>> LiveWorkerIdsAsync(string kind)
    {
        await using var connection = new NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """SELECT "WorkerId" FROM workers WHERE "Kind" = @kind AND "StoppedAt" IS NULL AND "LastHeartbeatAt" > now() - interval '3 seconds'""",
            connection);
        command.Parameters.AddWithValue("kind", kind);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return ids;
    }

    private async Task WaitForWorkersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var live = (await LiveWorkerIdsAsync("ingest")).Count + (await LiveWorkerIdsAsync("train")).Count + (await LiveWorkerIdsAsync("serve")).Count;
            if (live >= count) return;
            await Task.Delay(250);
        }
        throw new InvalidOperationException($"fewer than {count} workers sent heartbeats within 90 s; see {LogDirectory}");
    }

    private async Task WaitForGatewayAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await Http.GetAsync("/healthz");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new InvalidOperationException($"the gateway did not answer /healthz within 60 s; see {LogDirectory}");
    }

    private async Task CreateVirtualHostAsync()
    {
        using var management = ManagementClient();
        var vhost = Uri.EscapeDataString(VirtualHost);
        (await management.PutAsync($"api/vhosts/{vhost}", null)).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/permissions/{vhost}/{ServicesEnvironment.Get("RabbitMq__Username")}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
    }

    public static HttpClient ManagementClient()
    {
        var client = new HttpClient { BaseAddress = new Uri(ServicesEnvironment.Get("RabbitMq__ManagementUrl").TrimEnd('/') + "/") };
        var credentials = $"{ServicesEnvironment.Get("RabbitMq__Username")}:{ServicesEnvironment.Get("RabbitMq__Password")}";
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return client;
    }

    private async Task<string> CreateDatabaseAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(ServicesEnvironment.Get("ConnectionStrings__Platform"));
        var database = $"aip_test_{_runId}";
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        admin.Database = database;
        return admin.ConnectionString;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (_bus is not null) await _bus.StopAsync();
        List<ManagedProcess> processes;
        lock (_processes) processes = [.. _processes];
        await Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));
        Http?.Dispose();
        try
        {
            using var management = ManagementClient();
            await management.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}");
            var admin = new NpgsqlConnectionStringBuilder(ServicesEnvironment.Get("ConnectionStrings__Platform"));
            await using var connection = new NpgsqlConnection(admin.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"aip_test_{_runId}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (Exception)
        {
            // Leftovers of a test run are harmless: every run uses fresh names.
        }
        if (Directory.Exists(LakeRoot)) Directory.Delete(LakeRoot, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
