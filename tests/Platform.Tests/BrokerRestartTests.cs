using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>Restarts the shared RabbitMQ node, so it runs alone, after every test that runs in parallel, on a fleet of its own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrokerRestartCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "broker restart";
}

[Collection(BrokerRestartCollection.Name)]
public sealed class BrokerRestartTests(PlatformFixture platform)
{
    [Fact]
    public async Task Broker_restarts_in_a_row_mid_task_run_no_task_twice_and_leave_no_worker_deaf()
    {
        // The worker that ran the task during the first outage must come back for the second, and keep consuming after.
        for (var restart = 1; restart <= 2; restart++)
        {
            var id = await platform.SubmitAsync(new
            {
                type = "ingestion", name = $"mqdown{restart}-{Guid.NewGuid():N}"[..24], script = "sleep.csx", @params = new { seconds = 4 },
            });
            await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "running");
            // The task ends while the broker is down (a restart takes about 20 s here).
            await ServicesEnvironment.RestartRabbitMqAsync();

            var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(90), "completed", "failed");
            Assert.Equal("completed", done["status"]!.GetValue<string>());
            Assert.Equal(4, done["result"]!["slept"]!.GetValue<double>());
            // The completion sent after the outage arrives before the silence is judged: the task is not run again.
            // The timeline is written apart from the status and may trail it after an outage: wait for its end event.
            var ran = 0;
            for (var deadline = DateTime.UtcNow.AddSeconds(30); ran == 0 && DateTime.UtcNow < deadline; await Task.Delay(250))
                ran = await platform.Http.AttemptsThatRanAsync(id);
            Assert.Equal(1, ran);
        }

        foreach (var (type, name) in new[] { ("ingestion", "mqback-i"), ("training", "mqback-t") })
        {
            var after = await platform.SubmitAsync(new { type, name = $"{name}-{Guid.NewGuid():N}"[..24], script = "echo.csx", @params = new { message = "back" } });
            Assert.Equal("completed", (await platform.WaitForStatusAsync(after, TimeSpan.FromSeconds(90), "completed", "failed"))["status"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_worker_back_from_a_broker_outage_long_after_the_gateway_reports_its_task_which_is_not_run_again()
    {
        var id = await platform.SubmitAsync(new
        {
            type = "ingestion", name = $"mqlate-{Guid.NewGuid():N}"[..24], script = "sleep.csx", @params = new { seconds = 10 },
        });
        var running = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "running");
        var scriptEnded = DateTime.UtcNow.AddSeconds(12);
        var pid = WorkerIds.ProcessIdOf(running["worker_id"]!.GetValue<string>());

        await ServicesEnvironment.StopRabbitMqAsync();
        Assert.Equal("running", (await platform.GetTaskAsync(id))["status"]!.GetValue<string>());
        await Task.Delay(scriptEnded - DateTime.UtcNow); // the script ends while the broker is away
        // The worker is held back (as by MassTransit's reconnect back-off of up to 30 s) while the gateway reconnects
        // and listens for twice the heartbeat timeout: long enough to have taken the silent task for lost.
        ManagedProcess.Signal(pid, ManagedProcess.SigStop);
        try
        {
            await ServicesEnvironment.StartRabbitMqAsync();
            for (var deadline = DateTime.UtcNow.AddSeconds(60); await platform.Http.BrokerLinkStatusAsync() != "healthy"; await Task.Delay(250))
                Assert.True(DateTime.UtcNow < deadline, "the gateway's broker link is not healthy a minute after the broker came back");
            await Task.Delay(PlatformFixture.HeartbeatTimeout * 2);
        }
        finally
        {
            ManagedProcess.Signal(pid, ManagedProcess.SigCont);
        }

        var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(90), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
    }
}
