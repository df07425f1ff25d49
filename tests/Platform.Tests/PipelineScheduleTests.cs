using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Pipelines;
using AiPlatform.Gateway.Pipelines.Scheduling;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Platform.Tests.Infrastructure;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit;
using static AiPlatform.Platform.Tests.PipelinesApi;

namespace AiPlatform.Platform.Tests;

/// <summary>Scheduled pipelines: cron validation, runs started on schedule, and runs missed while no gateway ran reported, not replayed.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PipelineScheduleTests(PlatformFixture platform)
{
    private static object EchoStep => new { name = "echo", type = "ingestion", script = "echo.csx" };

    [Fact]
    public async Task A_bad_cron_expression_or_time_zone_is_refused_at_create_naming_it()
    {
        var (status, body) = await platform.SendAsync("/api/v2/pipelines",
            new { name = Unique("badcron"), schedule = new { cron = "61 * * * *" }, steps = new[] { EchoStep } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("schedule.cron '61 * * * *' is not a cron expression", body["error"]!["message"]!.GetValue<string>());

        (status, body) = await platform.SendAsync("/api/v2/pipelines",
            new { name = Unique("badfields"), schedule = new { cron = "* * *" }, steps = new[] { EchoStep } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("must have 5 fields", body["error"]!["message"]!.GetValue<string>());

        (status, body) = await platform.SendAsync("/api/v2/pipelines",
            new { name = Unique("badzone"), schedule = new { cron = "0 2 * * *", time_zone = "Mars/Olympus" }, steps = new[] { EchoStep } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("schedule.time_zone 'Mars/Olympus' is not a known time zone", body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_per_second_schedule_starts_runs_by_itself_until_it_is_deleted()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("every2s"), schedule = new { cron = "*/2 * * * * *", time_zone = "Europe/Paris" }, steps = new[] { EchoStep },
        });
        try
        {
            var runs = await WaitForRunsAsync(pipeline, 2);
            var first = await platform.WaitForRunAsync(runs.Last()["id"]!.GetValue<Guid>(), "completed", "failed");
            Assert.Equal("completed", first["status"]!.GetValue<string>());
            Assert.Equal("scheduler", first["submitted_by"]!.GetValue<string>());

            var schedule = await ScheduleAsync(pipeline);
            Assert.Equal("Europe/Paris", schedule["time_zone"]!.GetValue<string>());
            Assert.NotNull(schedule["last_run_id"]);
            // Started runs are on even seconds, as the expression asks.
            Assert.Equal(0, schedule["last_run_at"]!.GetValue<DateTimeOffset>().Second % 2);
        }
        finally
        {
            using var deleted = await platform.Http.DeleteAsync($"/api/v2/pipelines/{pipeline}/schedule");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        var total = (await RunsAsync(pipeline))["total"]!.GetValue<int>();
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(total, (await RunsAsync(pipeline))["total"]!.GetValue<int>());
        using var gone = await platform.Http.GetAsync($"/api/v2/pipelines/{pipeline}/schedule");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains("SCHEDULE_NOT_FOUND", await gone.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_schedule_is_set_on_a_pipeline_that_had_none_replaced_and_checked_like_one_given_at_create()
    {
        var pipeline = await platform.CreatePipelineAsync(new { name = Unique("later"), steps = new[] { EchoStep } });

        var (bad, badBody) = await PutScheduleAsync(pipeline, new { cron = "0 2 * * *", time_zone = "Mars/Olympus" });
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("schedule.time_zone 'Mars/Olympus' is not a known time zone", badBody["error"]!["message"]!.GetValue<string>());
        var (missing, _) = await PutScheduleAsync(Guid.NewGuid(), new { cron = "0 2 * * *" });
        Assert.Equal(HttpStatusCode.NotFound, missing);

        // Nightly at 03:00 UTC: nothing runs now, and the next run is the next 03:00.
        var (set, nightly) = await PutScheduleAsync(pipeline, new { cron = "0 3 * * *" });
        Assert.Equal(HttpStatusCode.OK, set);
        var next = nightly["next_run_at"]!.GetValue<DateTimeOffset>();
        Assert.Equal((3, 0, 0), (next.UtcDateTime.Hour, next.Minute, next.Second));
        Assert.InRange(next - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromDays(1));
        Assert.Equal("0 3 * * *", (await PipelineAsync(pipeline))["definition"]!["schedule"]!["cron"]!.GetValue<string>());

        // Replaced by every two seconds: runs start by themselves.
        try
        {
            var (replaced, _) = await PutScheduleAsync(pipeline, new { cron = "*/2 * * * * *" });
            Assert.Equal(HttpStatusCode.OK, replaced);
            var runs = await WaitForRunsAsync(pipeline, 1);
            Assert.Equal("scheduler", (await platform.GetRunAsync(runs.Last()["id"]!.GetValue<Guid>()))["submitted_by"]!.GetValue<string>());
        }
        finally
        {
            using var deleted = await platform.Http.DeleteAsync($"/api/v2/pipelines/{pipeline}/schedule");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.Null((await PipelineAsync(pipeline))["definition"]!["schedule"]);
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> PutScheduleAsync(Guid pipeline, object schedule)
    {
        using var response = await platform.Http.PutAsJsonAsync($"/api/v2/pipelines/{pipeline}/schedule", schedule);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task Runs_missed_while_no_gateway_was_scheduling_are_reported_and_only_the_latest_is_run()
    {
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("minutely"), schedule = new { cron = "* * * * *" }, steps = new[] { EchoStep },
        });
        try
        {
            // As if every gateway had been down for ten minutes: the schedule's next run lies ten minutes back.
            var back = DateTimeOffset.UtcNow.AddMinutes(-10);
            var due = new DateTimeOffset(back.Year, back.Month, back.Day, back.Hour, back.Minute, 0, TimeSpan.Zero);
            await using (var connection = new NpgsqlConnection(platform.DatabaseConnectionString))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("""UPDATE pipeline_schedules SET "NextRunAt" = @due WHERE "PipelineId" = @id""", connection);
                command.Parameters.AddWithValue("due", due);
                command.Parameters.AddWithValue("id", pipeline);
                Assert.Equal(1, await command.ExecuteNonQueryAsync());
            }

            var schedule = await WaitForScheduleAsync(pipeline, s => s["missed_total"]!.GetValue<long>() > 0);
            var missed = schedule["missed"]!.AsArray().Single()!;
            // Every occurrence from ten minutes back is missed but the latest, which is less than a minute late and runs.
            Assert.InRange(missed["count"]!.GetValue<int>(), 10, 11);
            Assert.Equal(due, missed["first_due_at"]!.GetValue<DateTimeOffset>());
            Assert.Contains("not started in time", missed["reason"]!.GetValue<string>());
            Assert.Contains("reported, not replayed", missed["reason"]!.GetValue<string>());
            Assert.True(schedule["next_run_at"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddSeconds(-5));

            var runs = await WaitForRunsAsync(pipeline, 1);
            Assert.Single(runs);
            Assert.Equal(schedule["last_run_id"]!.GetValue<Guid>(), runs[0]["id"]!.GetValue<Guid>());
        }
        finally
        {
            using var _ = await platform.Http.DeleteAsync($"/api/v2/pipelines/{pipeline}/schedule");
        }
    }

    private async Task<JsonNode> PipelineAsync(Guid pipeline)
    {
        using var response = await platform.Http.GetAsync($"/api/v2/pipelines/{pipeline}");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<JsonNode> RunsAsync(Guid pipeline)
    {
        using var response = await platform.Http.GetAsync($"/api/v2/pipelines/{pipeline}/runs");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<List<JsonNode>> WaitForRunsAsync(Guid pipeline, int count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var runs = (await RunsAsync(pipeline))["items"]!.AsArray().Select(r => r!).ToList();
            if (runs.Count >= count) return runs;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"pipeline {pipeline} has {runs.Count} runs, not {count}");
            await Task.Delay(250);
        }
    }

    private async Task<JsonNode> ScheduleAsync(Guid pipeline)
    {
        using var response = await platform.Http.GetAsync($"/api/v2/pipelines/{pipeline}/schedule");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<JsonNode> WaitForScheduleAsync(Guid pipeline, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var schedule = await ScheduleAsync(pipeline);
            if (condition(schedule)) return schedule;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"schedule of {pipeline} is still {schedule.ToJsonString()}");
            await Task.Delay(250);
        }
    }
}

/// <summary>Several gateways on one database: each occurrence of a schedule is started by exactly one of them.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PipelineScheduleClaimTests(PlatformFixture platform)
{
    [Fact]
    public async Task Of_several_gateways_scheduling_at_once_exactly_one_starts_a_due_occurrence()
    {
        // Far enough from a minute boundary that the fleet's own scheduler has only this occurrence to start.
        while (DateTimeOffset.UtcNow.Second is > 40 or < 2) await Task.Delay(500);
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("claimed"), schedule = new { cron = "* * * * *" }, steps = new[] { new { name = "echo", type = "ingestion", script = "echo.csx" } },
        });
        var now = DateTimeOffset.UtcNow;
        var due = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        await using var services = Services();
        var gateways = Enumerable.Range(0, 3).Select(_ => ActivatorUtilities.CreateInstance<PipelineScheduler>(services)).ToList();
        try
        {
            await using (var connection = new NpgsqlConnection(platform.DatabaseConnectionString))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("""UPDATE pipeline_schedules SET "NextRunAt" = @due WHERE "PipelineId" = @id""", connection);
                command.Parameters.AddWithValue("due", due);
                command.Parameters.AddWithValue("id", pipeline);
                Assert.Equal(1, await command.ExecuteNonQueryAsync());
            }
            // Three more gateways race the fleet's own for the occurrence now due.
            await Task.WhenAll(gateways.Select(g => g.TickAsync(CancellationToken.None)));
        }
        finally
        {
            using var _ = await platform.Http.DeleteAsync($"/api/v2/pipelines/{pipeline}/schedule");
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var response = await platform.Http.GetAsync($"/api/v2/pipelines/{pipeline}/runs");
        var runs = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(1, runs["total"]!.GetValue<int>());
    }

    /// <summary>What a gateway's scheduler runs on, on the fleet's database and bus, with the fleet's scripts.</summary>
    private ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<PlatformDbContext>(db => db.UseNpgsql(platform.DatabaseConnectionString)
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)));
        services.AddSingleton(Options.Create(new ScriptOptions { Roots = [Path.Combine(RepoPaths.Root, "tests", "Platform.Tests", "scripts")] }));
        services.AddSingleton<ScriptCatalog>();
        services.AddScoped<RunStarter>();
        services.AddSingleton(platform.Bus);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(new PipelineOptions()));
        return services.BuildServiceProvider();
    }
}
