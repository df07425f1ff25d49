using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Messages;
using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.ServiceDefaults.TaskQueues;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using Xunit;
using static AiPlatform.Platform.Tests.PipelinesApi;

namespace AiPlatform.Platform.Tests;

/// <summary>Task priorities: a high-priority command overtakes the lower ones waiting in its queue; pipelines pass theirs on.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PipelinePriorityTests(PlatformFixture platform)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_high_priority_task_runs_before_the_low_priority_ones_queued_ahead_of_it()
    {
        // The fixture has one ingest worker: keep it busy so the next commands wait in the queue.
        var blocker = await platform.SubmitAsync(new { type = "ingestion", name = Unique("blocker"), script = "sleep.csx", @params = new { seconds = 4 } });
        await platform.WaitForStatusAsync(blocker, Timeout, "running");
        var low = new List<Guid>();
        for (var i = 0; i < 4; i++)
            low.Add(await platform.SubmitAsync(new { type = "ingestion", name = Unique("low"), script = "echo.csx", @params = new { message = "low" } }));
        var high = await platform.SubmitAsync(new { type = "ingestion", name = Unique("high"), script = "echo.csx", priority = 9, @params = new { message = "high" } });

        var highDone = await platform.WaitForStatusAsync(high, Timeout, "completed");
        Assert.Equal(9, highDone["priority"]!.GetValue<int>());
        var highStarted = Time(highDone, "started_at");
        foreach (var id in low)
        {
            var done = await platform.WaitForStatusAsync(id, Timeout, "completed");
            Assert.Equal(0, done["priority"]!.GetValue<int>());
            Assert.True(highStarted < Time(done, "started_at"),
                $"the high-priority task started at {highStarted:O}, after low-priority task {id} queued before it ({done["started_at"]})");
        }
    }

    [Fact]
    public async Task Steps_take_the_pipelines_priority_unless_they_name_their_own()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("prio"),
            priority = 7,
            steps = new object[]
            {
                new { name = "inherits", type = "ingestion", script = "echo.csx" },
                new { name = "own", type = "ingestion", script = "echo.csx", priority = 2, depends_on = new[] { "inherits" } },
            },
        });
        var done = await platform.WaitForRunAsync(await platform.ExecuteAsync(pipeline), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        var inherits = await platform.GetTaskAsync(Step(done, "inherits")["task_id"]!.GetValue<Guid>());
        var own = await platform.GetTaskAsync(Step(done, "own")["task_id"]!.GetValue<Guid>());
        Assert.Equal(7, inherits["priority"]!.GetValue<int>());
        Assert.Equal(2, own["priority"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_priority_outside_0_to_9_is_refused_naming_the_field()
    {
        using var task = await platform.PostJsonAsync("/api/v1/tasks", new { type = "ingestion", name = Unique("bad"), script = "echo.csx", priority = 10 });
        Assert.Equal(HttpStatusCode.BadRequest, task.StatusCode);
        Assert.Contains("field 'priority' must be a whole number from 0", await task.Content.ReadAsStringAsync());

        var (status, body) = await platform.SendAsync("/api/v2/pipelines", new
        {
            name = Unique("badprio"), priority = -1,
            steps = new object[] { new { name = "a", type = "ingestion", script = "echo.csx", priority = 12 } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = body["error"]!["message"]!.GetValue<string>();
        Assert.Contains("field 'priority' must be a whole number", message);
        Assert.Contains("field 'steps.a.priority' must be a whole number", message);
    }

    [Fact]
    public async Task A_task_queue_made_before_priorities_is_upgraded_in_place_keeping_its_waiting_commands()
    {
        var queue = $"upgrade-{Guid.NewGuid():N}";
        var factory = new ConnectionFactory
        {
            HostName = ServicesEnvironment.Get("RabbitMq__Host"), Port = int.Parse(ServicesEnvironment.Get("RabbitMq__Port")),
            VirtualHost = platform.VirtualHost, UserName = ServicesEnvironment.Get("RabbitMq__Username"),
            Password = ServicesEnvironment.Get("RabbitMq__Password"),
        };
        await using var connection = await factory.CreateConnectionAsync();
        await using (var channel = await connection.CreateChannelAsync())
        {
            // The shape of a queue before priorities: no arguments.
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
            foreach (var body in new[] { "first", "second", "third" })
                await channel.BasicPublishAsync("", queue, mandatory: true, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes(body));
        }

        var options = new RabbitMqOptions
        {
            Host = factory.HostName, Port = (ushort)factory.Port, VirtualHost = factory.VirtualHost,
            Username = factory.UserName, Password = factory.Password,
        };
        await new PriorityTaskQueues(options, NullLogger.Instance).EnsureAsync(queue, CancellationToken.None);

        await using var check = await connection.CreateChannelAsync();
        // Declaring it the way the workers' endpoints do succeeds only once it carries the priority argument.
        var declared = await check.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: PriorityTaskQueues.Arguments());
        Assert.Equal(3u, declared.MessageCount);
        var bodies = new List<string>();
        while (await check.BasicGetAsync(queue, autoAck: true) is { } message) bodies.Add(Encoding.UTF8.GetString(message.Body.Span));
        Assert.Equal(["first", "second", "third"], bodies);
        await Assert.ThrowsAnyAsync<Exception>(() => check.QueueDeclarePassiveAsync(PriorityTaskQueues.HoldingQueueFor(queue)));
        await using var cleanup = await connection.CreateChannelAsync();
        await cleanup.QueueDeleteAsync(queue);
        await cleanup.ExchangeDeleteAsync(queue);
    }

    private static DateTimeOffset Time(JsonNode task, string field) => task[field]!.GetValue<DateTimeOffset>();
}
