using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

[Collection(PlatformCollection.Name)]
public sealed class FaultToleranceTests(PlatformFixture platform)
{
    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task Killing_a_worker_mid_task_retries_the_task_on_another_worker()
    {
        var id = await platform.SubmitAsync(new { type = "training", name = UniqueName("kill9"), script = "sleep.csx", @params = new { seconds = 5 } });
        var running = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "running");
        var victim = running["worker_id"]!.GetValue<string>();
        var pid = WorkerIds.ProcessIdOf(victim);
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        platform.StartWorker("Workers.Train");

        var done = await platform.WaitForStatusAsync(id, PlatformFixture.HeartbeatTimeout + TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        Assert.NotEqual(victim, done["worker_id"]!.GetValue<string>());
        Assert.Equal(2, done["result"]!["attempt"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_worker_shutting_down_hands_its_task_back_at_once()
    {
        // A second ingest worker takes over whichever one is stopped.
        platform.StartWorker("Workers.Ingest");
        var id = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("sigterm"), script = "sleep.csx", @params = new { seconds = 6 } });
        var running = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "running");
        var worker = running["worker_id"]!.GetValue<string>();
        var pid = WorkerIds.ProcessIdOf(worker);
        ManagedProcess.Signal(pid, ManagedProcess.SigTerm);

        var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        Assert.Contains(await platform.GetEventsAsync(id), e => e!["kind"]!.GetValue<string>() == "released");
    }

    [Fact]
    public async Task A_task_that_ends_while_the_gateway_is_down_is_recorded_when_it_returns()
    {
        var id = await platform.SubmitAsync(new { type = "training", name = UniqueName("gwdown"), script = "sleep.csx", @params = new { seconds = 3 } });
        await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "running");
        // Down for longer than the heartbeat timeout: the completion queued meanwhile must land when the gateway returns.
        await platform.RestartGatewayAsync(PlatformFixture.HeartbeatTimeout + TimeSpan.FromSeconds(4));
        var pending = await platform.SubmitAsync(new { type = "training", name = UniqueName("gwback"), script = "echo.csx", @params = new { message = "back" } });

        var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed", "failed");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(3, done["result"]!["slept"]!.GetValue<double>());
        // Known limit: if the returning gateway judges heartbeat silence before it has read what queued up meanwhile
        // (it waits one heartbeat timeout, 6 s here), the task runs a second time. It is never lost.
        Assert.InRange(done["attempts"]!.GetValue<int>(), 1, 2);
        Assert.Equal("completed", (await platform.WaitForStatusAsync(pending, TimeSpan.FromSeconds(60), "completed", "failed"))["status"]!.GetValue<string>());
    }
}
