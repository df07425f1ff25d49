using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace AiPlatform.Platform.Tests;

[Collection(PlatformCollection.Name)]
public sealed class CancellationTests(PlatformFixture platform)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PromptStop = TimeSpan.FromSeconds(5);

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task Cancelling_a_pending_task_cancels_it_and_it_never_starts()
    {
        // The only ingest worker runs one task at a time: the second task waits in the queue.
        var blocker = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("blocker"), script = "sleep.csx", @params = new { seconds = 4 } });
        await platform.WaitForStatusAsync(blocker, Patience, "running");
        var waiting = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("waiting"), script = "echo.csx" });
        Assert.Equal("pending", (await platform.GetTaskAsync(waiting))["status"]!.GetValue<string>());

        using var cancel = await platform.Http.PostAsync($"/api/v1/tasks/{waiting}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var accepted = JsonNode.Parse(await cancel.Content.ReadAsStringAsync())!;
        Assert.NotNull(accepted["cancel_requested_at"]);
        var cancelled = await platform.WaitForStatusAsync(waiting, Patience, "cancelled", "completed", "running");
        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());

        // Once the worker is free it receives the command, and the claim is refused.
        await platform.WaitForStatusAsync(blocker, Patience, "completed");
        var probe = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("probe"), script = "echo.csx" });
        await platform.WaitForStatusAsync(probe, Patience, "completed");
        var after = await platform.GetTaskAsync(waiting);
        Assert.Equal("cancelled", after["status"]!.GetValue<string>());
        Assert.Null(after["started_at"]);
        Assert.DoesNotContain(await platform.GetEventsAsync(waiting), e => e!["kind"]!.GetValue<string>() == "started");
    }

    [Fact]
    public async Task Cancelling_a_running_task_stops_it_promptly()
    {
        var id = await platform.SubmitAsync(new { type = "training", name = UniqueName("cancel-run"), script = "sleep.csx", @params = new { seconds = 120 } });
        await platform.WaitForStatusAsync(id, Patience, "running");
        var clock = Stopwatch.StartNew();
        using var cancel = await platform.Http.PostAsync($"/api/v1/tasks/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var task = await platform.WaitForStatusAsync(id, PromptStop, "cancelled");
        Assert.True(clock.Elapsed < PromptStop, $"took {clock.Elapsed}");
        Assert.NotNull(task["finished_at"]);
    }

    [Fact]
    public async Task A_cancel_the_worker_never_heard_is_sent_again_until_the_task_stops()
    {
        var id = await platform.SubmitAsync(new { type = "training", name = UniqueName("deaf"), script = "sleep.csx", @params = new { seconds = 120 } });
        await platform.WaitForStatusAsync(id, Patience, "running");
        // Recorded as requested, but no message published: as if the worker's cancel queue was down when it was.
        await using (var connection = new NpgsqlConnection(platform.DatabaseConnectionString))
        {
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand("""UPDATE tasks SET "CancelRequestedAt" = now() WHERE id = @id""", connection);
            update.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }
        Assert.Equal("running", (await platform.GetTaskAsync(id))["status"]!.GetValue<string>());
        var task = await platform.WaitForStatusAsync(id, PlatformFixture.CancelResendInterval + TimeSpan.FromSeconds(15), "cancelled");
        Assert.NotNull(task["finished_at"]);
    }

    [Fact]
    public async Task A_script_that_ignores_its_token_is_stopped_hard_and_the_worker_carries_on()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("stubborn"), script = "ignore_cancel.csx", @params = new { seconds = 300 } });
        await platform.WaitForStatusAsync(id, Patience, "running");
        using var cancel = await platform.Http.PostAsync($"/api/v1/tasks/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await platform.WaitForStatusAsync(id, PromptStop, "cancelled");
        // The timeline has a consumer of its own, which may record the end a moment after the task's status.
        var events = await platform.GetEventsAsync(id);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !events.Any(e => e!["kind"]!.GetValue<string>() == "cancelled") && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(250);
            events = await platform.GetEventsAsync(id);
        }
        Assert.Contains(events, e => e!["kind"]!.GetValue<string>() == "cancelled"
                                     && e["data"]!["reason"]!.GetValue<string>().Contains("killed"));

        var next = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("after-stubborn"), script = "echo.csx" });
        await platform.WaitForStatusAsync(next, Patience, "completed");
    }

    [Fact]
    public async Task Cancelling_a_finished_task_is_a_conflict()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("done"), script = "echo.csx" });
        await platform.WaitForStatusAsync(id, Patience, "completed");
        using var cancel = await platform.Http.PostAsync($"/api/v1/tasks/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        var error = JsonNode.Parse(await cancel.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("TASK_ALREADY_FINISHED", error["code"]!.GetValue<string>());
        Assert.Contains("completed", error["message"]!.GetValue<string>());
    }
}
