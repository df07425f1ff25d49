using System.Net.Http.Json;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// Workers that lose the broker come back or die loudly; tasks nobody can take say so; every task ends. Each test runs
/// a small fleet of its own, shaped for what it checks (no ingest worker, a worker with its own broker user...).
/// </summary>
public sealed class WorkerRecoveryTests
{
    private static readonly Dictionary<string, string> QuickTimings = new()
    {
        ["Tasks__HeartbeatTimeout"] = "00:00:06",
        ["Tasks__MonitorInterval"] = "00:00:01",
        ["Tasks__NoConsumerReportAfter"] = "00:00:01",
        ["Worker__HeartbeatInterval"] = "00:00:01",
        ["Worker__RecoveryTimeout"] = "00:00:10",
        ["Worker__ShutdownGracePeriod"] = "00:00:05",
        ["Gateway__RecoveryTimeout"] = "00:00:10",
        ["Gateway__ShutdownGracePeriod"] = "00:00:05",
    };

    [Fact]
    public async Task A_worker_that_cannot_get_its_broker_link_back_exits_non_zero_for_its_supervisor()
    {
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = [], Settings = QuickTimings });
        using var management = LocalFleet.ManagementClient();
        var (user, password) = await CreateBrokerUserAsync(management, fleet.VirtualHost, "aip-deaf");
        var worker = fleet.StartWorker("Workers.Ingest", new Dictionary<string, string>
        {
            ["RabbitMq__Username"] = user,
            ["RabbitMq__Password"] = password,
            // Its first heartbeat can go out before its watchdog has seen the whole link healthy; locked out in between,
            // it is still starting, and gives up after this instead of the recovery timeout.
            ["Worker__StartupTimeout"] = "00:00:15",
        });
        await WaitUntilAsync(async () => await fleet.LiveWorkerCountAsync("ingest") == 1, TimeSpan.FromSeconds(60), "the worker's first heartbeat");

        // The broker is reachable, the worker can never be healthy again.
        await LockOutAsync(management, user);

        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the worker is still running, deaf, a minute after losing its broker link");
        Assert.Equal(75, worker.ExitCode);
        Assert.Contains("Giving up", await File.ReadAllTextAsync(worker.LogPath));
    }

    [Fact]
    public async Task A_gateway_that_cannot_get_its_broker_link_back_exits_non_zero_for_its_supervisor()
    {
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = [], Settings = QuickTimings });
        using var management = LocalFleet.ManagementClient();
        var (user, password) = await CreateBrokerUserAsync(management, fleet.VirtualHost, "aip-deafgw");
        await fleet.RestartGatewayAsync(TimeSpan.Zero, new Dictionary<string, string> { ["RabbitMq__Username"] = user, ["RabbitMq__Password"] = password });
        await WaitUntilAsync(async () => await fleet.Http.BrokerLinkStatusAsync() == "healthy", TimeSpan.FromSeconds(60), "the gateway's broker link healthy");

        // Locked out while the broker stays up: the gateway can never consume again, and its saga would leave every
        // task pending. Probes see it before the gateway gives up: /healthz names the broker link as the problem.
        await LockOutAsync(management, user);
        await WaitUntilAsync(async () => await fleet.Http.BrokerLinkStatusAsync() is "degraded" or "unhealthy", TimeSpan.FromSeconds(30),
            "unhealthy broker link reported on /healthz");

        Assert.True(await fleet.Gateway.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the gateway is still running, deaf, a minute after losing its broker link");
        Assert.Equal(75, fleet.Gateway.ExitCode);
        Assert.Contains("Giving up", await File.ReadAllTextAsync(fleet.Gateway.LogPath));
    }


    /// <summary>A broker user of one process's own, so it alone can be locked out while the broker stays up.</summary>
    private static async Task<(string User, string Password)> CreateBrokerUserAsync(HttpClient management, string virtualHost, string prefix)
    {
        var user = $"{prefix}-{Guid.NewGuid():N}"[..20];
        var password = Guid.NewGuid().ToString("N");
        (await management.PutAsJsonAsync($"api/users/{user}", new { password, tags = "" })).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/permissions/{Uri.EscapeDataString(virtualHost)}/{user}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        return (user, password);
    }

    /// <summary>Deletes the user, so every reconnect is refused, and closes its connections.</summary>
    private static async Task LockOutAsync(HttpClient management, string user)
    {
        // The management API lists a connection some seconds after it opens: wait until the user's show, or a lockout
        // that closed none would leave the process connected and healthy.
        await WaitUntilAsync(async () => (await ConnectionsOfAsync(management, user)).Count > 0, TimeSpan.FromSeconds(30),
            $"a connection of {user} listed by the broker");
        (await management.DeleteAsync($"api/users/{user}")).EnsureSuccessStatusCode();
        // A process may hold more than one connection, and one opened just before the user went may be listed late:
        // close whatever is listed until nothing has been for 5 s (no new one can open now).
        var quietSince = DateTime.UtcNow;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(5) && DateTime.UtcNow < deadline)
        {
            foreach (var connection in await ConnectionsOfAsync(management, user))
            {
                await management.DeleteAsync($"api/connections/{Uri.EscapeDataString(connection.Name)}");
                quietSince = DateTime.UtcNow;
            }
            await Task.Delay(500);
        }
    }

    private static async Task<List<BrokerConnection>> ConnectionsOfAsync(HttpClient management, string user) =>
        (await management.GetFromJsonAsync<List<BrokerConnection>>("api/connections"))!.Where(c => c.User == user).ToList();

    [Fact]
    public async Task A_task_nobody_consumes_says_why_it_waits_and_runs_when_a_worker_comes()
    {
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = ["Workers.Train"], Settings = QuickTimings });
        var id = await fleet.Http.SubmitTaskAsync(new { type = "ingestion", name = $"nobody-{Guid.NewGuid():N}"[..20], script = "echo.csx" });

        var waiting = await fleet.Http.WaitForTaskAsync(id, TimeSpan.FromSeconds(30), t => t["waiting_reason"] is not null, "a waiting reason");
        Assert.Equal("pending", waiting["status"]!.GetValue<string>());
        Assert.Contains("no ingest worker is consuming the queue 'ingest-tasks'", waiting["waiting_reason"]!.GetValue<string>());

        fleet.StartWorker("Workers.Ingest");
        var done = await fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromSeconds(180), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Null(done["waiting_reason"]);
    }

    [Fact]
    public async Task By_policy_a_task_nobody_can_take_fails_with_the_reason()
    {
        var settings = new Dictionary<string, string>(QuickTimings) { ["Tasks__UndispatchableFailAfter"] = "00:00:04" };
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = ["Workers.Ingest"], Settings = settings });
        var id = await fleet.Http.SubmitTaskAsync(new { type = "training", name = $"no-trainer-{Guid.NewGuid():N}"[..20], script = "echo.csx" });

        var failed = await fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromSeconds(60), "failed", "completed");
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Contains("no train worker is consuming the queue 'train-tasks'", failed["error"]!.GetValue<string>());
        Assert.Contains("gave up after 4 s", failed["error"]!.GetValue<string>());
    }

    private sealed record BrokerConnection(string Name, string User);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"no {what} within {timeout.TotalSeconds} s");
            await Task.Delay(250);
        }
    }
}
