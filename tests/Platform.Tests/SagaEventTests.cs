using AiPlatform.Fleet;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;
using AiPlatform.Platform.Tests.Infrastructure;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// At-least-once delivery means events come twice, late, or for tasks nobody knows. These tests publish such events
/// straight onto the bus against tasks that no worker will touch, and check the saga's state stays right.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class SagaEventTests(PlatformFixture platform)
{
    private const string FakeWorker = "train-test-host-1-abcdef";

    [Fact]
    public async Task Completion_before_start_completes_and_later_events_change_nothing()
    {
        var id = await InsertTaskAsync(attempts: 1);
        await platform.Bus.Publish(new TaskCompleted(id, 1, FakeWorker, DateTimeOffset.UtcNow, """{"answer":42}"""));
        var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "completed");
        Assert.Equal(42, done["result"]!["answer"]!.GetValue<int>());

        await platform.Bus.Publish(new TaskStarted(id, 1, FakeWorker, DateTimeOffset.UtcNow));
        await platform.Bus.Publish(new TaskCompleted(id, 1, FakeWorker, DateTimeOffset.UtcNow, """{"answer":7}"""));
        await platform.Bus.Publish(new TaskFailed(id, 1, FakeWorker, DateTimeOffset.UtcNow, "late failure"));
        await platform.Bus.Publish(new TaskProgressed(id, 1, FakeWorker, DateTimeOffset.UtcNow, 0.1, "late progress", null));
        await WaitForTimelineAsync(id, 5);

        var after = await platform.GetTaskAsync(id);
        Assert.Equal("completed", after["status"]!.GetValue<string>());
        Assert.Equal(42, after["result"]!["answer"]!.GetValue<int>());
        Assert.Null(after["error"]);
        Assert.Equal(1.0, after["progress"]!["fraction"]!.GetValue<double>());
    }

    [Fact]
    public async Task Events_of_a_stale_attempt_are_ignored()
    {
        var id = await InsertTaskAsync(attempts: 2);
        await platform.Bus.Publish(new TaskFailed(id, 1, FakeWorker, DateTimeOffset.UtcNow, "attempt one failed late"));
        await platform.Bus.Publish(new TaskCompleted(id, 2, FakeWorker, DateTimeOffset.UtcNow, """{"ok":true}"""));
        var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_completion_from_an_attempt_presumed_lost_completes_the_task_and_the_retry_never_runs()
    {
        // Attempt 1 was taken for lost (its worker was cut off) and attempt 2 dispatched; attempt 1 then reports it finished.
        var id = await InsertTaskAsync(attempts: 2);
        await platform.Bus.Publish(new TaskCompleted(id, 1, FakeWorker, DateTimeOffset.UtcNow, """{"from":"attempt one"}"""));
        var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "completed");
        Assert.Equal("attempt one", done["result"]!["from"]!.GetValue<string>());

        // The queued attempt 2 is refused at its claim: the work is not done twice.
        var claims = platform.Bus.CreateRequestClient<ClaimTask>();
        var answer = await claims.GetResponse<TaskClaimed, TaskClaimRejected>(new ClaimTask(id, 2, FakeWorker));
        Assert.True(answer.Is(out Response<TaskClaimRejected>? rejected), "the retry of a completed task was allowed to run");
        Assert.Contains("already completed", rejected.Message.Reason);
    }

    [Fact]
    public async Task A_claim_admits_one_worker_per_attempt_and_repeats_its_answer_to_that_worker_only()
    {
        var id = await InsertTaskAsync(attempts: 2);
        var claims = platform.Bus.CreateRequestClient<ClaimTask>();
        async Task<string?> RejectionAsync(ClaimTask claim)
        {
            var answer = await claims.GetResponse<TaskClaimed, TaskClaimRejected>(claim);
            return answer.Is(out Response<TaskClaimRejected>? rejected) ? rejected.Message.Reason : null;
        }

        Assert.Equal("attempt 1 is stale (current attempt 2)", await RejectionAsync(new ClaimTask(id, 1, FakeWorker)));
        Assert.Equal("pending", (await platform.GetTaskAsync(id))["status"]!.GetValue<string>());

        // Many workers claim at once (copies of one command): exactly one gets it.
        var rivals = Enumerable.Range(0, 8).Select(i => $"train-rival-{i}-{Guid.NewGuid():N}"[..24]).ToList();
        var answers = await Task.WhenAll(rivals.Select(worker => RejectionAsync(new ClaimTask(id, 2, worker))));
        var winner = rivals[Assert.Single(Enumerable.Range(0, rivals.Count), i => answers[i] is null)];
        Assert.All(answers.Where(a => a is not null), a => Assert.Equal("task is already running", a));
        var running = await platform.GetTaskAsync(id);
        Assert.Equal("running", running["status"]!.GetValue<string>());
        Assert.Equal(winner, running["worker_id"]!.GetValue<string>());

        // The winner's answer was lost (a broker restart): its claim again is answered again, another worker's is not.
        Assert.Null(await RejectionAsync(new ClaimTask(id, 2, winner)));
        Assert.Equal("task is already running", await RejectionAsync(new ClaimTask(id, 2, FakeWorker)));
        Assert.Equal("unknown task", await RejectionAsync(new ClaimTask(Guid.NewGuid(), 1, FakeWorker)));

        // The saga goes on from the claimed row.
        await platform.Bus.Publish(new TaskCompleted(id, 2, winner, DateTimeOffset.UtcNow, "{}"));
        Assert.Equal("completed", (await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(20), "completed", "failed"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_event_for_an_unknown_task_creates_nothing_and_blocks_nothing()
    {
        var unknown = Guid.NewGuid();
        await platform.Bus.Publish(new TaskCompleted(unknown, 1, FakeWorker, DateTimeOffset.UtcNow, "{}"));
        await platform.Bus.Publish(new TaskStarted(unknown, 1, FakeWorker, DateTimeOffset.UtcNow));

        // The saga's queue keeps flowing: a real task submitted after them completes.
        var id = await platform.SubmitAsync(new { type = "ingestion", name = $"after-unknown-{Guid.NewGuid():N}"[..24], script = "echo.csx" });
        await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed");
        using var response = await platform.Http.GetAsync($"/api/v1/tasks/{unknown}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Concurrent_duplicated_shuffled_events_for_many_tasks_end_in_the_right_state()
    {
        var random = new Random(7);
        var ids = new List<Guid>();
        for (var i = 0; i < 60; i++) ids.Add(await InsertTaskAsync(attempts: 1));
        var messages = new List<object>();
        foreach (var (id, index) in ids.Select((id, index) => (id, index)))
        {
            var now = DateTimeOffset.UtcNow;
            messages.Add(new TaskStarted(id, 1, FakeWorker, now));
            for (var p = 1; p <= 3; p++) messages.Add(new TaskProgressed(id, 1, FakeWorker, now.AddMilliseconds(p), p / 4.0, $"step {p}", null));
            object final = index % 3 == 0
                ? new TaskFailed(id, 1, FakeWorker, now.AddSeconds(1), $"failure {index}")
                : new TaskCompleted(id, 1, FakeWorker, now.AddSeconds(1), $$"""{"index":{{index}}}""");
            messages.Add(final);
            messages.Add(final);
        }
        await Task.WhenAll(messages.OrderBy(_ => random.Next()).Select(m => platform.Bus.Publish(m, m.GetType())));

        foreach (var (id, index) in ids.Select((id, index) => (id, index)))
        {
            var task = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
            if (index % 3 == 0)
            {
                Assert.Equal("failed", task["status"]!.GetValue<string>());
                Assert.Equal($"failure {index}", task["error"]!.GetValue<string>());
            }
            else
            {
                Assert.Equal("completed", task["status"]!.GetValue<string>());
                Assert.Equal(index, task["result"]!["index"]!.GetValue<int>());
            }
        }
    }

    [Fact]
    public async Task A_running_task_shows_the_newest_progress_of_its_current_attempt_whatever_order_reports_arrive_in()
    {
        var id = await InsertTaskAsync(attempts: 2, state: "Running");
        var now = DateTimeOffset.UtcNow;
        await platform.Bus.Publish(new TaskProgressed(id, 2, FakeWorker, now.AddSeconds(2), 0.6, "epoch 3 of 5", """{"epoch":3}"""));
        await platform.Bus.Publish(new TaskProgressed(id, 2, FakeWorker, now.AddSeconds(1), 0.4, "epoch 2 of 5, late", """{"epoch":2}"""));
        await platform.Bus.Publish(new TaskProgressed(id, 1, FakeWorker, now.AddSeconds(3), 0.9, "from the attempt given up", """{"epoch":4}"""));
        await platform.Bus.Publish(new TaskProgressed(id, 2, FakeWorker, now.AddSeconds(2.5), null, "evaluating", null));
        await WaitForTimelineAsync(id, 4);

        var progress = (await platform.GetTaskAsync(id))["progress"]!;
        Assert.Equal("evaluating", progress["message"]!.GetValue<string>());
        // A report without a fraction or metrics keeps the ones before it.
        Assert.Equal(0.6, progress["fraction"]!.GetValue<double>());
        Assert.Equal(3, progress["metrics"]!["epoch"]!.GetValue<int>());

        // The timeline names metrics as the task view does, whether a report has them or not.
        var reports = (await platform.GetEventsAsync(id)).Select(e => e!["data"]!.AsObject()).ToList();
        Assert.All(reports, data => Assert.False(data.ContainsKey("metrics_json")));
        Assert.Equal(3, reports.Single(d => d["message"]!.GetValue<string>() == "epoch 3 of 5")["metrics"]!["epoch"]!.GetValue<int>());
        Assert.True(reports.Single(d => d["message"]!.GetValue<string>() == "evaluating").TryGetPropertyValue("metrics", out var none) && none is null);
    }

    [Fact]
    public async Task A_progress_report_with_metrics_that_are_not_json_spoils_nothing_for_the_reports_beside_it()
    {
        var (bad, good) = (await InsertTaskAsync(attempts: 1, state: "Running"), await InsertTaskAsync(attempts: 1, state: "Running"));
        var now = DateTimeOffset.UtcNow;
        await Task.WhenAll(
            platform.Bus.Publish(new TaskProgressed(bad, 1, FakeWorker, now, 0.5, "half", "{not json")),
            platform.Bus.Publish(new TaskProgressed(good, 1, FakeWorker, now, 0.25, "a quarter", """{"loss":0.5}""")));
        await WaitForTimelineAsync(bad, 1);
        await WaitForTimelineAsync(good, 1);

        var badProgress = (await platform.GetTaskAsync(bad))["progress"]!;
        Assert.Equal((0.5, "half"), (badProgress["fraction"]!.GetValue<double>(), badProgress["message"]!.GetValue<string>()));
        Assert.Null(badProgress["metrics"]);
        Assert.Equal(0.5, (await platform.GetTaskAsync(good))["progress"]!["metrics"]!["loss"]!.GetValue<double>());
        Assert.Equal("{not json", (await platform.GetEventsAsync(bad)).Single()!["data"]!["metrics"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_service_runs_once_a_replica_starts_and_a_claimed_tasks_start_event_only_goes_on_its_timeline()
    {
        var service = await InsertTaskAsync(attempts: 1, type: TaskTypes.Inference);
        // Only a claim makes a task run: a start event alone (a worker that was refused its claim, say) does not.
        await platform.Bus.Publish(new TaskStarted(service, 1, FakeWorker, DateTimeOffset.UtcNow));
        await WaitForTimelineAsync(service, 1);
        Assert.Equal("pending", (await platform.GetTaskAsync(service))["status"]!.GetValue<string>());

        await platform.Bus.Publish(new TaskReplicaStarted(service, 1, FakeWorker, DateTimeOffset.UtcNow));
        var running = await platform.WaitForStatusAsync(service, TimeSpan.FromSeconds(20), "running");
        Assert.Equal(FakeWorker, running["worker_id"]!.GetValue<string>());
        await WaitForTimelineAsync(service, 2);
        Assert.Equal(["replica_started", "started"], (await platform.GetEventsAsync(service)).Select(e => e!["kind"]!.GetValue<string>()).Order());
        // Serve workers starting later must not try to host this script-less service.
        await platform.Bus.Publish(new CancelTask(service, "test over"));
    }

    [Fact]
    public async Task A_saga_subscription_left_by_an_older_gateway_is_removed_so_no_event_copy_piles_up_unhandled()
    {
        var factory = new ConnectionFactory
        {
            HostName = ServicesEnvironment.Get("RabbitMq__Host"), Port = int.Parse(ServicesEnvironment.Get("RabbitMq__Port")),
            VirtualHost = platform.VirtualHost, UserName = ServicesEnvironment.Get("RabbitMq__Username"),
            Password = ServicesEnvironment.Get("RabbitMq__Password"),
        };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        // What a gateway whose saga still handled TaskStarted left on the broker.
        var started = RetiredSagaBindings.ExchangeFor(typeof(TaskStarted));
        await channel.ExchangeDeclareAsync(started, ExchangeType.Fanout, durable: true);
        await channel.ExchangeBindAsync(QueueNames.TaskSaga, started, "");
        var skippedQueue = QueueNames.TaskSaga + "_skipped";
        async Task<uint> SkippedAsync()
        {
            await using var probe = await connection.CreateChannelAsync();
            try { return (await probe.QueueDeclarePassiveAsync(skippedQueue)).MessageCount; }
            catch (OperationInterruptedException) { return 0; }
        }

        var before = await SkippedAsync();
        await platform.Bus.Publish(new TaskStarted(await InsertTaskAsync(attempts: 1), 1, FakeWorker, DateTimeOffset.UtcNow));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await SkippedAsync() == before && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Equal(before + 1, await SkippedAsync());

        var options = new RabbitMqOptions
        {
            Host = factory.HostName, Port = (ushort)factory.Port, VirtualHost = factory.VirtualHost,
            Username = factory.UserName, Password = factory.Password,
        };
        await RetiredSagaBindings.RemoveAsync(options, CancellationToken.None);
        var id = await InsertTaskAsync(attempts: 1);
        await platform.Bus.Publish(new TaskStarted(id, 1, FakeWorker, DateTimeOffset.UtcNow));
        await WaitForTimelineAsync(id, 1);
        await Task.Delay(1000);
        Assert.Equal(before + 1, await SkippedAsync());
    }

    /// <summary>A task row as the gateway would write it, already dispatched (pending unless told), for a script no worker will receive.</summary>
    private async Task<Guid> InsertTaskAsync(int attempts, string state = "Pending", string type = TaskTypes.Training)
    {
        var id = Guid.NewGuid();
        await using var connection = new NpgsqlConnection(platform.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO tasks (id, "CurrentState", "Type", "Name", "ParamsJson", "ScriptPath", "ScriptSha256", "ScriptSource", "CreatedAt", "Attempts")
            VALUES (@id, @state, @type, @name, '{}', 'saga-test.csx', '', '', now(), @attempts)
            """, connection);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("name", "saga-" + id.ToString("N")[..16]);
        insert.Parameters.AddWithValue("attempts", attempts);
        insert.Parameters.AddWithValue("state", state);
        insert.Parameters.AddWithValue("type", type);
        await insert.ExecuteNonQueryAsync();
        return id;
    }

    private async Task WaitForTimelineAsync(Guid id, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await platform.GetEventsAsync(id)).Count < count && DateTime.UtcNow < deadline) await Task.Delay(100);
        // The saga queue is consumed separately from the timeline; give it the same moment to catch up.
        await Task.Delay(500);
    }
}
