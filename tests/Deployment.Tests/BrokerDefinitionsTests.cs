using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit;

namespace AiPlatform.Deployment.Tests;

/// <summary>
/// The broker definitions compose and the dev Kubernetes overlay load at boot (deploy/rabbitmq/definitions.sh), imported
/// into the real local RabbitMQ under throwaway names and a virtual host of their own: the accounts they make log in with
/// the passwords given and hold exactly their role's rights.
/// </summary>
public sealed class BrokerDefinitionsTests : IAsyncLifetime
{
    private readonly string _prefix = $"defs{Guid.NewGuid():N}"[..12] + "-";
    private string VirtualHost => _prefix + "vhost";
    /// <summary>The processes' roles, KEDA's (Kubernetes only) and the administrator.</summary>
    private static readonly string[] Accounts = [.. ServicesEnvironment.BrokerRoles, "scaler", "admin"];

    private readonly Dictionary<string, string> _passwords = Accounts.ToDictionary(role => role, _ => Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        var file = Path.Combine(Path.GetTempPath(), _prefix + "definitions.json");
        var environment = new Dictionary<string, string?>
        {
            ["RABBITMQ_USER"] = _prefix + "admin", ["RABBITMQ_PASSWORD"] = _passwords["admin"],
            ["AIP_BROKER_VHOST"] = VirtualHost, ["AIP_BROKER_ACCOUNT_PREFIX"] = _prefix,
        };
        foreach (var role in Accounts.SkipLast(1)) environment[$"RABBITMQ_{role.ToUpperInvariant()}_PASSWORD"] = _passwords[role];
        var (exitCode, output) = CommandLine.Run("sh", RepoPaths.Root, ["deploy/rabbitmq/definitions.sh", file], environment);
        Assert.True(exitCode == 0, output);
        try
        {
            // The management API's import is the one the broker runs at boot for load_definitions.
            using var management = LocalFleet.ManagementClient();
            using var import = await management.PostAsync("api/definitions", new StringContent(await File.ReadAllTextAsync(file), System.Text.Encoding.UTF8, "application/json"));
            Assert.True(import.IsSuccessStatusCode, $"import answered {(int)import.StatusCode}: {await import.Content.ReadAsStringAsync()}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    public async Task DisposeAsync()
    {
        using var management = LocalFleet.ManagementClient();
        foreach (var role in Accounts)
            (await management.DeleteAsync($"api/users/{Uri.EscapeDataString(_prefix + role)}")).Dispose();
        (await management.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}")).Dispose();
    }

    [Fact]
    public async Task The_gateway_account_reads_queue_depths_and_the_worker_accounts_cannot_use_the_management_api()
    {
        using (var gateway = LocalFleet.ManagementClient(_prefix + "gateway", _passwords["gateway"]))
        using (var queues = await gateway.GetAsync($"api/queues/{Uri.EscapeDataString(VirtualHost)}"))
            Assert.Equal(HttpStatusCode.OK, queues.StatusCode);
        using (var admin = LocalFleet.ManagementClient(_prefix + "admin", _passwords["admin"]))
        {
            var whoami = await admin.GetFromJsonAsync<JsonObject>("api/whoami");
            Assert.Contains("administrator", whoami!["tags"]!.ToJsonString());
        }
        foreach (var role in new[] { "ingest", "train", "serve" })
        {
            using var worker = LocalFleet.ManagementClient(_prefix + role, _passwords[role]);
            using var overview = await worker.GetAsync("api/overview");
            Assert.Equal(HttpStatusCode.Unauthorized, overview.StatusCode);
        }
    }

    [Fact]
    public async Task A_worker_kinds_account_takes_its_own_tasks_but_not_another_kinds_nor_the_gateways_queues()
    {
        await using var connection = await ConnectAsync("ingest");
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync("ingest-tasks", durable: true, exclusive: false, autoDelete: false);
            Assert.Null(await channel.BasicGetAsync("ingest-tasks", autoAck: false));
        }
        foreach (var queue in new[] { "train-tasks", "predict-requests", "task-state", "task-events" })
        {
            await using var channel = await connection.CreateChannelAsync();
            var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.BasicGetAsync(queue, autoAck: false));
            Assert.Equal(403, refused.ShutdownReason!.ReplyCode);
        }
    }

    [Fact]
    public async Task The_scaler_account_reads_a_queues_depth_and_can_neither_take_declare_nor_send_messages()
    {
        await using (var ingest = await ConnectAsync("ingest"))
        await using (var channel = await ingest.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync("ingest-tasks", durable: true, exclusive: false, autoDelete: false);
            await channel.BasicPublishAsync("", "ingest-tasks", "{}"u8.ToArray());
        }

        // What KEDA's rabbitmq trigger asks with protocol http.
        using (var scaler = LocalFleet.ManagementClient(_prefix + "scaler", _passwords["scaler"]))
        {
            // The management API's figures are sampled (every 5 s by default): the new message shows at the next sample.
            int? messages = null;
            for (var deadline = DateTime.UtcNow.AddSeconds(30); messages != 1 && DateTime.UtcNow < deadline; await Task.Delay(250))
                messages = (await scaler.GetFromJsonAsync<JsonObject>($"api/queues/{Uri.EscapeDataString(VirtualHost)}/ingest-tasks"))!["messages"]?.GetValue<int>();
            Assert.Equal(1, messages);
            using var publish = await scaler.PostAsJsonAsync($"api/exchanges/{Uri.EscapeDataString(VirtualHost)}/amq.default/publish",
                new { properties = new { }, routing_key = "ingest-tasks", payload = "x", payload_encoding = "string" });
            Assert.False(publish.IsSuccessStatusCode, "the scaler account published through the management API");
            using var users = await scaler.GetAsync("api/users");
            Assert.False(users.IsSuccessStatusCode, "the scaler account listed the broker's users");
        }

        await using var connection = await ConnectAsync("scaler");
        foreach (var attempt in new Func<IChannel, Task>[]
        {
            channel => channel.BasicGetAsync("ingest-tasks", autoAck: false),
            channel => channel.QueueDeclareAsync("scaler-own", durable: false, exclusive: false, autoDelete: true),
            channel => channel.BasicPublishAsync("", "ingest-tasks", "{}"u8.ToArray()).AsTask(),
        })
        {
            await using var channel = await connection.CreateChannelAsync();
            var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(async () =>
            {
                await attempt(channel);
                // A refused publish closes the channel asynchronously: a round trip after it surfaces the refusal.
                await channel.QueueDeclarePassiveAsync("ingest-tasks");
            });
            Assert.Equal(403, refused.ShutdownReason!.ReplyCode);
        }
    }

    [Fact]
    public async Task A_wrong_password_is_refused()
    {
        _passwords["train"] = "not-the-password";
        await Assert.ThrowsAsync<BrokerUnreachableException>(() => ConnectAsync("train"));
    }

    private Task<IConnection> ConnectAsync(string role) => new ConnectionFactory
    {
        HostName = ServicesEnvironment.Get("RabbitMq__Host"), Port = int.Parse(ServicesEnvironment.Get("RabbitMq__Port")),
        VirtualHost = VirtualHost, UserName = _prefix + role, Password = _passwords[role],
    }.CreateConnectionAsync();
}
