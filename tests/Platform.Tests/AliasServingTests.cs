using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// A service started on <c>model@production</c> follows the alias: promote and rollback swap the version its replicas
/// serve while requests keep coming, none fails, and every answer names the version that made it.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class AliasServingTests(PlatformFixture platform)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Promote_and_rollback_under_load_switch_the_served_version_without_a_failed_request()
    {
        var model = await TwoVersionModelAsync("follow");
        await MoveAliasAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.0.0" });
        var service = await StartServiceAsync(model);
        var served = await platform.GetTaskAsync(service);
        Assert.Equal(($"{model}@production", $"{model}@1"), (served["model"]!.GetValue<string>(), served["resolved_model"]!.GetValue<string>()));

        await using var load = PredictionLoad.Start(platform, service, clients: 4);
        await load.WaitForVersionAsync($"{model}@1", Patience);
        await MoveAliasAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.1.0", reason = "better" });
        await load.WaitForVersionAsync($"{model}@2", Patience);
        await MoveAliasAsync(HttpMethod.Post, $"/api/v1/models/{model}/rollback", new { alias = "production", to_version = "1.0.0", reason = "regression" });
        await load.WaitForVersionAsync($"{model}@1", Patience);
        var answers = await load.StopAsync();

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, $"a request failed: {(int)a.Status} {a.Body}"));
        // Each answer was made by the version it names: version 1 sums to 45, version 2 (its parent's 45 plus 45) to 90.
        Assert.All(answers, a => Assert.Equal(a.Version == $"{model}@1" ? 45.0 : 90.0, JsonNode.Parse(a.Body)!["sum"]!.GetValue<double>()));

        var task = await WaitForAsync(async () =>
            await platform.GetTaskAsync(service) is var t && t["served_model"]?.GetValue<string>() == $"{model}@1" ? t : null);
        Assert.Equal($"{model}@1", task["resolved_model"]!.GetValue<string>());
        // The timeline shows each replica's start and both swaps.
        var servedByReplica = (await platform.GetEventsAsync(service)).Where(e => e!["kind"]!.GetValue<string>() == "model_served")
            .GroupBy(e => e!["worker_id"]!.GetValue<string>(), e => e!["data"]!["model"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(servedByReplica);
        Assert.All(servedByReplica, replica => Assert.Equal([$"{model}@1", $"{model}@2", $"{model}@1"], replica.ToList()));
        await platform.Http.PostAsync($"/api/v1/tasks/{service}/cancel", null);
    }

    [Fact]
    public async Task A_worker_that_missed_the_move_converges_by_its_periodic_check()
    {
        var model = await TwoVersionModelAsync("missed");
        await MoveAliasAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.0.0" });
        var service = await StartServiceAsync(model);
        var first = await PredictAsync(service);
        // A second serve worker that checks its aliases every second; it hosts the service as its replica.
        var checker = platform.StartWorker("Workers.Serve", new Dictionary<string, string> { ["Worker__AliasCheckInterval"] = "00:00:01" });
        try
        {
            // (Until its replica runs, the new worker may refuse requests it takes: not this test's concern.)
            var other = await WaitForAsync(async () =>
                await PredictAsync(service) is { Status: HttpStatusCode.OK } a && a.ServedBy != first.ServedBy ? a : null);
            Assert.Equal($"{model}@1", other.Version);

            // The alias moves behind the gateway's back, as if its announcement was lost: no event reaches any worker.
            await using (var connection = new NpgsqlConnection(platform.DatabaseConnectionString))
            {
                await connection.OpenAsync();
                await using var update = new NpgsqlCommand("""
                    UPDATE registry_aliases a SET "VersionId" = v."Id", "UpdatedAt" = now()
                    FROM registry_resources r JOIN registry_versions v ON v."ResourceId" = r."Id"
                    WHERE r."Kind" = 'model' AND r."Name" = @model AND v."LanceVersion" = 2 AND a."ResourceId" = r."Id" AND a."Alias" = 'production'
                    """, connection);
                update.Parameters.AddWithValue("model", model);
                Assert.Equal(1, await update.ExecuteNonQueryAsync());
            }
            var moved = await WaitForAsync(async () =>
                await PredictAsync(service) is var a && a.ServedBy == other.ServedBy && a.Version == $"{model}@2" ? a : null);
            Assert.Equal(90.0, JsonNode.Parse(moved.Body)!["sum"]!.GetValue<double>());
        }
        finally
        {
            // The service first: a replica's worker stopping under it is not what this test is about.
            await platform.Http.PostAsync($"/api/v1/tasks/{service}/cancel", null);
            await platform.WaitForStatusAsync(service, Patience, "cancelled", "failed");
            await checker.StopAsync(TimeSpan.FromSeconds(20));
        }
    }

    [Fact]
    public async Task A_service_on_a_pinned_version_stays_on_it_when_the_alias_moves()
    {
        var model = await TwoVersionModelAsync("pinned");
        await MoveAliasAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.0.0" });
        var pinned = await StartServiceAsync(model, $"{model}:1.0.0");
        Assert.Equal($"{model}@1", (await PredictAsync(pinned)).Version);
        var follower = await StartServiceAsync(model);
        await MoveAliasAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.1.0" });
        await WaitForAsync(async () => await PredictAsync(follower) is { Version: var v } a && v == $"{model}@2" ? a : null);
        Assert.Equal($"{model}@1", (await PredictAsync(pinned)).Version);
        Assert.Equal($"{model}@1", (await platform.GetTaskAsync(pinned))["served_model"]!.GetValue<string>());
        await platform.Http.PostAsync($"/api/v1/tasks/{pinned}/cancel", null);
        await platform.Http.PostAsync($"/api/v1/tasks/{follower}/cancel", null);
    }

    /// <summary>Model versions 1.0.0 (sum 45) and 1.1.0 (sum 90, with 1.0.0 as its parent), both registered.</summary>
    private async Task<string> TwoVersionModelAsync(string prefix)
    {
        var (dataset, model) = (Unique($"{prefix}-ds"), Unique($"{prefix}-m"));
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model });
        await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model,
            @params = new { parent = model } });
        await WaitForAsync(async () =>
        {
            using var response = await platform.Http.GetAsync($"/api/v1/models/{model}/versions");
            return response.IsSuccessStatusCode && JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Count == 2 ? model : null;
        });
        return model;
    }

    private async Task<Guid> StartServiceAsync(string model, string? reference = null)
    {
        var service = await platform.SubmitAsync(new { type = "inference", name = Unique("svc"), model = reference ?? $"{model}@production", script = "serving/model_sum.csx" });
        var running = await platform.WaitForStatusAsync(service, Patience, "running", "failed");
        Assert.True(running["status"]!.GetValue<string>() == "running", running.ToJsonString());
        return service;
    }

    private async Task MoveAliasAsync(HttpMethod method, string path, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };
        using var response = await platform.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<Guid> RunTaskAsync(object body)
    {
        var id = await platform.SubmitAsync(body);
        var task = await platform.WaitForStatusAsync(id, Patience, "completed", "failed", "cancelled");
        Assert.True(task["status"]!.GetValue<string>() == "completed", task.ToJsonString());
        return id;
    }

    private Task<PredictionLoad.Answer> PredictAsync(Guid service) => PredictionLoad.PredictAsync(platform.Http, service, 0);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found) return found;
            await Task.Delay(100);
        }
        Assert.Fail($"not there within {Patience.TotalSeconds} s");
        return null!;
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}
