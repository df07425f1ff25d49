using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// Each process of the fleet reaches the broker with its role's account (eng/services.sh, deploy/rabbitmq/permissions),
/// not the administrator's: a worker kind's account cannot take another kind's tasks, touch the gateway's queues or
/// use the management API.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class BrokerAccountsTests(PlatformFixture platform)
{
    [Fact]
    public async Task The_gateway_and_every_worker_kind_are_connected_with_their_own_account()
    {
        var expected = new Dictionary<string, string>
        {
            ["AiPlatform.Gateway"] = "aip-gateway",
            ["AiPlatform.Workers.Ingest"] = "aip-ingest",
            ["AiPlatform.Workers.Train"] = "aip-train",
            ["AiPlatform.Workers.Serve"] = "aip-serve",
        };
        using var management = LocalFleet.ManagementClient();
        // The management plugin lists a new connection only at its next statistics round (every 5 s): wait for all four.
        List<(string App, string User)> connections;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            // MassTransit names a connection after the app; the test's own bus is not one of the fleet's.
            connections = (await management.GetFromJsonAsync<JsonArray>("api/connections"))!
                .Where(c => c!["vhost"]!.GetValue<string>() == platform.VirtualHost)
                .Select(c => (App: c!["client_properties"]?["connection_name"]?.GetValue<string>() ?? "", User: c["user"]!.GetValue<string>()))
                .Where(c => expected.ContainsKey(c.App))
                .ToList();
            if (connections.Select(c => c.App).Distinct().Count() == expected.Count) break;
            await Task.Delay(500);
        } while (DateTime.UtcNow < deadline);

        Assert.Equal(expected.Keys.Order(), connections.Select(c => c.App).Distinct().Order());
        Assert.All(connections, c => Assert.Equal(expected[c.App], c.User));
    }

    [Fact]
    public async Task An_ingest_workers_account_cannot_take_training_tasks_touch_the_gateways_queues_or_manage_the_broker()
    {
        var (username, password) = ServicesEnvironment.BrokerAccount("ingest");
        var factory = new ConnectionFactory
        {
            HostName = ServicesEnvironment.Get("RabbitMq__Host"), Port = int.Parse(ServicesEnvironment.Get("RabbitMq__Port")),
            VirtualHost = platform.VirtualHost, UserName = username, Password = password,
        };
        await using var connection = await factory.CreateConnectionAsync();

        foreach (var queue in new[] { "train-tasks", "predict-requests", "task-state", "task-events" })
        {
            await using var channel = await connection.CreateChannelAsync();
            var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.BasicGetAsync(queue, autoAck: false));
            Assert.Equal(403, refused.ShutdownReason!.ReplyCode);
        }
        await using (var channel = await connection.CreateChannelAsync())
        {
            var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.QueueDeleteAsync("task-state"));
            Assert.Equal(403, refused.ShutdownReason!.ReplyCode);
        }

        using var asWorker = LocalFleet.ManagementClient(username, password);
        using var overview = await asWorker.GetAsync("api/overview");
        Assert.Equal(HttpStatusCode.Unauthorized, overview.StatusCode);
    }
}
