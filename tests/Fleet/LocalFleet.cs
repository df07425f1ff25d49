using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace AiPlatform.Fleet;

public sealed record FleetOptions
{
    /// <summary>Worker projects to start, e.g. "Workers.Train" twice for two train workers.</summary>
    public IReadOnlyList<string> Workers { get; init; } = ["Workers.Ingest", "Workers.Train", "Workers.Train", "Workers.Serve"];

    /// <summary>Settings for every process (gateway and workers), in .NET configuration env-var form.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    public string LogDirectory { get; init; } = Path.Combine(RepoPaths.Root, "artifacts", "test-logs");

    /// <summary>
    /// Replace a worker that gave up on its broker link (exit code 75), as eng/fleet.sh's supervisor and a compose
    /// restart policy do; off by default, so tests of the giving up itself see the process stay down.
    /// </summary>
    public bool RestartWorkersThatGiveUp { get; init; }

    /// <summary>
    /// Workers per kind kept by eng/fleet.sh's own supervisor instead of started here (on top of <see cref="Workers"/>):
    /// it reconciles the desired-count files the gateway's cluster API writes (<c>Cluster:Mode</c> local), so tests
    /// of scaling run the one reconcile rule the fleet command runs.
    /// </summary>
    public IReadOnlyDictionary<string, int>? SupervisedWorkers { get; init; }
}

/// <summary>
/// A whole fleet on the real local services: a gateway and workers as separate processes, on a RabbitMQ virtual host
/// and a PostgreSQL database of its own, so runs never see each other's messages or rows.
/// </summary>
public sealed class LocalFleet : IAsyncDisposable
{
    private readonly FleetOptions _options;
    private readonly string _runId = DateTime.UtcNow.ToString("MMddHHmmss") + "_" + Guid.NewGuid().ToString("N")[..6];
    private readonly List<ManagedProcess> _processes = [];
    private ManagedProcess _gateway = null!;
    private ManagedProcess? _supervisor;
    private string _gatewayUrl = "";
    private bool _disposing;

    private LocalFleet(FleetOptions options) => _options = options;

    /// <summary>The fleet's bootstrap admin key: the gateway stores it at start-up, and <see cref="Http"/> sends it.</summary>
    public string AdminKey { get; } = "aip_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A client of the gateway that signs its requests with the admin key.</summary>
    public HttpClient Http { get; private set; } = null!;

    public Uri GatewayUrl => new(_gatewayUrl);

    /// <summary>The gateway's process as it runs now (a restart replaces it).</summary>
    public ManagedProcess Gateway => _gateway;
    public string DatabaseConnectionString { get; private set; } = "";
    public string VirtualHost => $"aip-test-{_runId}";
    public string LakeRoot { get; } = Path.Combine(Path.GetTempPath(), "aiplatform-tests", "lake-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The supervisor's folder of <c>&lt;kind&gt;.replicas</c> files, when <see cref="FleetOptions.SupervisedWorkers"/> is set.</summary>
    public string ReplicasDirectory => Path.Combine(SupervisorRoot, "replicas");

    private string SupervisorRoot => Path.Combine(Path.GetTempPath(), "aiplatform-tests", "fleet-" + _runId);

    public static async Task<LocalFleet> StartAsync(FleetOptions options)
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        var fleet = new LocalFleet(options);
        try
        {
            await fleet.CreateVirtualHostAsync();
            fleet.DatabaseConnectionString = await fleet.CreateDatabaseAsync();
            fleet._gatewayUrl = $"http://127.0.0.1:{FreePort()}";
            fleet.Http = fleet.Client(fleet.AdminKey);
            await fleet.StartGatewayAsync();
            foreach (var worker in options.Workers) fleet.StartWorker(worker);
            if (options.SupervisedWorkers is { } supervised) await fleet.StartSupervisorAsync(supervised);
            await fleet.WaitForWorkersAsync(options.Workers.Count + (options.SupervisedWorkers?.Values.Sum() ?? 0));
            return fleet;
        }
        catch
        {
            // A fleet that failed to start is nobody's to dispose: its processes would outlive the test run.
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// kill -9 of the gateway, then a new one on the same address after <paramref name="downtime"/>, with
    /// <paramref name="settings"/> on top of the fleet's.
    /// </summary>
    public async Task RestartGatewayAsync(TimeSpan downtime, IReadOnlyDictionary<string, string>? settings = null)
    {
        _gateway.KillHard();
        await Task.Delay(downtime);
        await StartGatewayAsync(settings);
    }

    private async Task StartGatewayAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["ASPNETCORE_URLS"] = _gatewayUrl,
            ["Auth__BootstrapKey"] = AdminKey,
        };
        if (_options.SupervisedWorkers is not null)
        {
            environment["Cluster__Mode"] = "local";
            environment["Cluster__ReplicasDirectory"] = ReplicasDirectory;
        }
        _gateway = StartProcess("gateway", "Gateway", environment);
        await WaitForGatewayAsync();
    }

    /// <summary>eng/fleet.sh's supervisor for the workers only (the gateway is this fleet's), in folders of this run.</summary>
    private async Task StartSupervisorAsync(IReadOnlyDictionary<string, int> workers)
    {
        Directory.CreateDirectory(ReplicasDirectory);
        foreach (var (kind, count) in workers) await File.WriteAllTextAsync(Path.Combine(ReplicasDirectory, $"{kind}.replicas"), $"{count}\n");
        var environment = ProcessEnvironment();
        environment["AIP_FLEET_RUN"] = Path.Combine(SupervisorRoot, "run");
        environment["AIP_FLEET_LOGS"] = Path.Combine(_options.LogDirectory, "fleet-" + _runId);
        environment["AIP_FLEET_REPLICAS"] = ReplicasDirectory;
        environment["AIP_FLEET_CONFIGURATION"] = RepoPaths.Configuration;
        environment["FLEET_PROCESSES"] = "";
        _supervisor = ManagedProcess.StartCommand("supervisor", "bash", [Path.Combine(RepoPaths.Root, "eng", "fleet.sh"), "supervise"], RepoPaths.Root,
            environment, _options.LogDirectory);
    }

    /// <summary>A client of the gateway sending <paramref name="key"/> as a bearer token, or no credentials when null.</summary>
    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = new Uri(_gatewayUrl), Timeout = TimeSpan.FromSeconds(120) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Creates a key through the API with the admin key and returns it (it is shown only in this answer).</summary>
    /// <param name="project">The one project the key acts in; null for a key of every project.</param>
    public async Task<string> CreateKeyAsync(string name, string role, string? project = null)
    {
        using var response = await Http.PostAsJsonAsync("/api/v1/keys", new { name, role, project });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"creating key {name} answered {(int)response.StatusCode}: {body}");
        return System.Text.Json.Nodes.JsonNode.Parse(body)!["key"]!.GetValue<string>();
    }

    public ManagedProcess StartWorker(string project, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = extra ?? new Dictionary<string, string>();
        var process = StartProcess(project.ToLowerInvariant(), project, settings);
        if (_options.RestartWorkersThatGiveUp) _ = ReplaceIfItGivesUpAsync(project, settings, process);
        return process;
    }

    private async Task ReplaceIfItGivesUpAsync(string project, IReadOnlyDictionary<string, string> settings, ManagedProcess process)
    {
        const int gaveUpOnBrokerLink = 75;
        await process.WaitForExitAsync(Timeout.InfiniteTimeSpan);
        if (process.ExitCode != gaveUpOnBrokerLink) return;
        // Under the lock that disposing takes, so no replacement starts after the fleet collected its processes to stop.
        lock (_processes)
        {
            if (!_disposing) StartWorker(project, settings);
        }
    }

    /// <summary>The settings a process of this fleet runs with: the local services, this run's vhost and database, and the options' settings.</summary>
    public Dictionary<string, string> ProcessEnvironment()
    {
        var environment = new Dictionary<string, string>(ServicesEnvironment.Values)
        {
            ["RabbitMq__VirtualHost"] = VirtualHost,
            ["ConnectionStrings__Platform"] = DatabaseConnectionString,
            ["Scripts__Roots__0"] = Path.Combine(RepoPaths.Root, "tests", "Platform.Tests", "scripts"),
            ["Scripts__Roots__1"] = Path.Combine(RepoPaths.Root, "scripts"),
            ["Worker__ScriptCacheDirectory"] = Path.Combine(Path.GetTempPath(), "aiplatform-tests", "script-cache"),
            ["Worker__TorchSharpRunner"] = RepoPaths.TorchSharpRunner,
            ["Lake__Root"] = LakeRoot,
            ["MASSTRANSIT_USAGE_TELEMETRY"] = "false",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };
        foreach (var (key, value) in _options.Settings) environment[key] = value;
        return environment;
    }

    private ManagedProcess StartProcess(string name, string project, IReadOnlyDictionary<string, string> extra)
    {
        var environment = ProcessEnvironment();
        // As eng/fleet.sh does: each process with its role's broker account, never the administrator's.
        (environment["RabbitMq__Username"], environment["RabbitMq__Password"]) =
            ServicesEnvironment.BrokerAccount(project == "Gateway" ? "gateway" : project["Workers.".Length..].ToLowerInvariant());
        foreach (var (key, value) in extra) environment[key] = value;
        var process = ManagedProcess.Start(name, RepoPaths.ProjectOutput(project), environment, _options.LogDirectory);
        lock (_processes) _processes.Add(process);
        return process;
    }

    public async Task<int> LiveWorkerCountAsync(string? kind = null)
    {
        await using var connection = new NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """SELECT count(*) FROM workers WHERE (@kind::text IS NULL OR "Kind" = @kind) AND "StoppedAt" IS NULL AND "LastHeartbeatAt" > now() - interval '5 seconds'""",
            connection);
        command.Parameters.AddWithValue("kind", (object?)kind ?? DBNull.Value);
        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    private async Task WaitForWorkersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (await LiveWorkerCountAsync() >= count) return;
            await Task.Delay(250);
        }
        throw new InvalidOperationException($"fewer than {count} workers sent heartbeats within 90 s; see {_options.LogDirectory}");
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
        throw new InvalidOperationException($"the gateway did not answer /healthz within 60 s; see {_options.LogDirectory}");
    }

    /// <summary>The broker's management API as the administrator.</summary>
    public static HttpClient ManagementClient() =>
        ManagementClient(ServicesEnvironment.Get("RabbitMq__Username"), ServicesEnvironment.Get("RabbitMq__Password"));

    public static HttpClient ManagementClient(string username, string password)
    {
        var client = new HttpClient { BaseAddress = new Uri(ServicesEnvironment.Get("RabbitMq__ManagementUrl").TrimEnd('/') + "/") };
        var credentials = $"{username}:{password}";
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return client;
    }

    private async Task CreateVirtualHostAsync()
    {
        using var management = ManagementClient();
        var vhost = Uri.EscapeDataString(VirtualHost);
        (await management.PutAsync($"api/vhosts/{vhost}", null)).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/permissions/{vhost}/{ServicesEnvironment.Get("RabbitMq__Username")}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        foreach (var role in ServicesEnvironment.BrokerRoles)
        {
            var permissions = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "rabbitmq", "permissions", $"{role}.json"));
            using var body = new StringContent(permissions, Encoding.UTF8, "application/json");
            (await management.PutAsync($"api/permissions/{vhost}/aip-{role}", body)).EnsureSuccessStatusCode();
        }
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

    public async ValueTask DisposeAsync()
    {
        List<ManagedProcess> processes;
        lock (_processes)
        {
            _disposing = true;
            processes = [.. _processes];
        }
        // The supervisor gives its workers 40 s to release their tasks and stop; it is stopped (and waited for) first.
        if (_supervisor is not null)
        {
            await _supervisor.StopAsync(TimeSpan.FromSeconds(45));
            await _supervisor.DisposeAsync();
        }
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
            // Leftovers of a run are harmless: every run uses fresh names.
        }
        if (Directory.Exists(LakeRoot)) Directory.Delete(LakeRoot, recursive: true);
        if (Directory.Exists(SupervisorRoot)) Directory.Delete(SupervisorRoot, recursive: true);
    }
}
