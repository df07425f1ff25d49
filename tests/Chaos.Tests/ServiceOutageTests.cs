using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Chaos.Tests;

/// <summary>
/// The stores going away under a running task: a PostgreSQL outage loses no event, and an S3 restart mid-write lets the
/// task finish after retries or fails it with a clear reason, never leaving half a dataset visible.
/// </summary>
public sealed class ServiceOutageTests
{
    [Fact]
    public async Task Events_sent_while_PostgreSQL_is_down_are_all_recorded_once_it_is_back()
    {
        await using var fleet = await StartFleetAsync();
        var id = await fleet.Http.SubmitTaskAsync(new
        {
            type = "ingestion", name = $"pgdown-{Guid.NewGuid():N}"[..20], script = "chaos_step.csx", @params = new { seconds = 4, rows = 0 },
        });
        await fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromSeconds(60), "running");

        // Longer than any endpoint's own retries: the task reports progress and completes while the database is away.
        var down = DateTimeOffset.UtcNow;
        await ServicesEnvironment.CrashPostgresAsync();
        await Task.Delay(TimeSpan.FromSeconds(15));
        await ServicesEnvironment.StartPostgresAsync();
        var up = DateTimeOffset.UtcNow;
        Npgsql.NpgsqlConnection.ClearAllPools();

        var task = await fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromMinutes(3), "completed", "failed");
        Assert.Equal("completed", task["status"]!.GetValue<string>());
        Assert.Equal(1, task["attempts"]!.GetValue<int>());
        Assert.Equal(4, task["result"]!["seconds"]!.GetValue<double>());

        // The timeline has its own consumer, which may still be working through what it held during the outage, in
        // any order: a batch of progress held in a retry can land after the completion that came in a fresh one.
        bool During(JsonNode? e, string kind) => e!["kind"]!.GetValue<string>() == kind
            && e["timestamp"]!.GetValue<DateTimeOffset>() is var at && at > down && at < up;
        var events = await EventsAsync(fleet, id);
        for (var deadline = DateTime.UtcNow.AddSeconds(120);
             !(events.Any(e => During(e, "progressed")) && events.Any(e => During(e, "completed"))) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(500);
            events = await EventsAsync(fleet, id);
        }
        var timeline = $"database down {down:HH:mm:ss.fff} to {up:HH:mm:ss.fff}; events: " +
            string.Join(", ", events.Select(e => $"{e!["kind"]} {e["timestamp"]!.GetValue<DateTimeOffset>():HH:mm:ss.fff}"));
        Assert.True(events.Any(e => During(e, "progressed")), "no progress sent during the outage is recorded: " + timeline);
        Assert.True(events.Any(e => During(e, "completed")), "the completion sent during the outage is not recorded: " + timeline);
    }

    [Fact]
    public async Task An_S3_restart_mid_write_ends_the_task_whole_or_failed_with_its_reason_and_never_half_a_dataset()
    {
        await using var fleet = await StartFleetAsync();
        var name = $"s3down-{Guid.NewGuid():N}"[..20];
        var id = await fleet.Http.SubmitTaskAsync(new
        {
            type = "ingestion", name, output = name, script = "chaos_step.csx", @params = new { seconds = 1, rows = 400, batch_pause = 1.5 },
        });
        await fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromSeconds(60), "running");
        // The work takes 1 s, then the four batches go out 1.5 s apart: the restart lands among them.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await ServicesEnvironment.RestartS3Async();

        var task = await fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromMinutes(3), "completed", "failed");
        var rows = await FleetProbes.DatasetRowsAsync(fleet, name);
        if (task["status"]!.GetValue<string>() == "completed")
        {
            Assert.Equal(400, rows);
        }
        else
        {
            Assert.False(string.IsNullOrWhiteSpace(task["error"]?.GetValue<string>()), "a failed task says why");
            Assert.True(rows is null or 400, $"a failed write left {rows} of 400 rows visible");
        }
    }

    private static Task<LocalFleet> StartFleetAsync() => LocalFleet.StartAsync(new FleetOptions
    {
        Workers = ["Workers.Ingest"],
        Settings = FleetProbes.FaultRunSettings($"s3://{ServicesEnvironment.Get("S3__Bucket")}/outage-{Guid.NewGuid():N}"),
    });

    private static async Task<JsonArray> EventsAsync(LocalFleet fleet, Guid id)
    {
        using var response = await fleet.Http.GetAsync($"/api/v1/tasks/{id}/events");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
    }
}
