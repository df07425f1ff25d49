using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// A task's log scope ("=> task A") stays on its own lines. The broker connection a worker re-creates after an outage
/// keeps the execution context of whatever call re-created it; when that was a task's publish, every message consumed
/// later ran inside that task's scope ("=> task A => task B").
/// </summary>
[Collection(BrokerRestartCollection.Name)]
public sealed class TaskLogScopeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_broker_restart_during_a_task_leaves_its_log_scope_off_later_tasks_lines()
    {
        // Supervised, as every deployment is: a worker whose endpoints stay deaf after the restart exits (75) and is
        // replaced, which would otherwise leave the second task waiting for a consumer forever.
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = [], RestartWorkersThatGiveUp = true });
        var worker = fleet.StartWorker("Workers.Ingest");
        while (await fleet.LiveWorkerCountAsync() < 1) await Task.Delay(250);

        // The task publishes progress through the outage, so its publish is what reconnects.
        var first = await fleet.Http.SubmitTaskAsync(new
        {
            type = "ingestion", name = $"scope-a-{Guid.NewGuid():N}"[..20], script = "sleep.csx", input = "in", output = "out", @params = new { seconds = 12 },
        });
        await fleet.Http.WaitForTaskStatusAsync(first, Patience, "running");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await ServicesEnvironment.RestartRabbitMqAsync();
        await fleet.Http.WaitForTaskStatusAsync(first, Patience, "completed");
        var second = await fleet.Http.SubmitTaskAsync(new
        {
            type = "ingestion", name = $"scope-b-{Guid.NewGuid():N}"[..20], script = "echo.csx", input = "in", output = "out", @params = new { message = "after" },
        });
        await fleet.Http.WaitForTaskStatusAsync(second, Patience, "completed");

        // The log of the process that ran the second task: the first one, or the one that replaced it.
        var pid = WorkerIds.ProcessIdOf((await fleet.Http.GetTaskAsync(second))["worker_id"]!.GetValue<string>());
        var lines = await File.ReadAllLinesAsync(Path.Combine(Path.GetDirectoryName(worker.LogPath)!, $"workers.ingest-{pid}.log"));
        Assert.Contains(lines, l => l.Contains($"=> task {second}"));
        // In the process that ran the first task (an attempt of it), the lines after it ended; in a replacement, every line.
        bool FirstEnded(string line) => line.Contains($"Task {first} attempt ") && line.Contains(" ended");
        var afterFirstEnded = lines.Any(FirstEnded) ? lines.SkipWhile(l => !FirstEnded(l)).Skip(1).ToList() : lines.ToList();
        Assert.All(afterFirstEnded, l => Assert.DoesNotContain($"=> task {first}", l));
    }
}
