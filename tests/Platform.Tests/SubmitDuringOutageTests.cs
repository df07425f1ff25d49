using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The submit sends a task's command itself; the stored row is what makes a command the broker never took safe.</summary>
[Collection(BrokerRestartCollection.Name)]
public sealed class SubmitDuringOutageTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_task_submitted_while_the_broker_is_down_is_accepted_and_runs_once_when_it_returns()
    {
        var name = $"outage-{Guid.NewGuid():N}"[..24];
        await ServicesEnvironment.StopRabbitMqAsync();
        Guid id;
        try
        {
            id = await platform.SubmitAsync(new { type = "ingestion", name, script = "echo.csx", @params = new { message = "queued in the row" } });
            var stored = await platform.GetTaskAsync(id);
            Assert.Equal("pending", stored["status"]!.GetValue<string>());
        }
        finally
        {
            await ServicesEnvironment.StartRabbitMqAsync();
        }

        var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(150), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal("queued in the row", done["result"]!["message"]!.GetValue<string>());
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
        // The timeline is written by its own consumer, which may come back from the outage after the saga did.
        var events = await platform.GetEventsAsync(id);
        for (var wait = 0; wait < 600 && !events.Any(e => e!["kind"]!.GetValue<string>() == "completed"); wait++)
        {
            await Task.Delay(100);
            events = await platform.GetEventsAsync(id);
        }
        Assert.Single(events, e => e!["kind"]!.GetValue<string>() == "started");
    }
}
