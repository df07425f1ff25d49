using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.Gateway.Registry;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The model and dataset registry through REST, with real tasks writing real lake versions.</summary>
[Collection(PlatformCollection.Name)]
public sealed class RegistryTests(PlatformFixture platform) : RegistryTestBase
{
    protected override PlatformFixture Platform => platform;

    [Fact]
    public async Task A_version_goes_from_task_to_production_and_back_with_its_lineage_and_audit()
    {
        var (dataset, model) = (Unique("reg-ds"), Unique("reg-m"));
        var ingest = await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset, @params = new { rows = 10 } });
        var datasetVersion = (await WaitForVersionsAsync("datasets", dataset, 1))[0]!;
        Assert.Equal("1.0.0", datasetVersion["version"]!.GetValue<string>());
        Assert.Equal(1, datasetVersion["lance_version"]!.GetValue<long>());
        Assert.Equal("registered", datasetVersion["stage"]!.GetValue<string>());
        Assert.Equal("task", datasetVersion["origin"]!.GetValue<string>());
        Assert.Equal(ingest.ToString(), datasetVersion["created_by"]!["task_id"]!.GetValue<string>());
        Assert.Equal("registry/write_dataset.csx", datasetVersion["created_by"]!["script"]!.GetValue<string>());
        Assert.Equal(64, datasetVersion["created_by"]!["script_sha256"]!.GetValue<string>().Length);
        Assert.Matches("^[0-9a-f]{64}$", datasetVersion["sha256"]!.GetValue<string>());

        // Two trainings: the next minor each time; the task records the exact dataset version it resolved.
        var first = await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model });
        Assert.Equal($"{dataset}@1", (await platform.GetTaskAsync(first))["resolved_input"]!.GetValue<string>());
        await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = $"{dataset}:1.0.0", output = model });
        var versions = await WaitForVersionsAsync("models", model, 2);
        Assert.Equal(["1.0.0", "1.1.0"], versions.Select(v => v!["version"]!.GetValue<string>()));
        var lineage = versions[0]!["lineage"]!.AsArray().Single()!;
        Assert.Equal((dataset, "1.0.0", "input"), (lineage["name"]!.GetValue<string>(), lineage["version"]!.GetValue<string>(), lineage["relation"]!.GetValue<string>()));
        Assert.Equal(45.0, versions[0]!["metrics"]!["sum"]!.GetValue<double>());
        Assert.Equal(first.ToString(), versions[0]!["created_by"]!["task_id"]!.GetValue<string>());

        // Promote 1.0.0, then 1.1.0 (1.0.0 is deprecated), then roll back to 1.0.0 in one call.
        var promoted = await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.0.0", reason = "first" });
        Assert.Equal(HttpStatusCode.OK, promoted.Status);
        Assert.Equal("active", promoted.Body["version"]!["stage"]!.GetValue<string>());
        var replaced = await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.1.0", reason = "better" });
        Assert.Equal("1.0.0", replaced.Body["previous_version"]!.GetValue<string>());
        Assert.Equal(["deprecated", "active"], await StagesAsync(model));
        var rolledBack = await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/rollback", new { alias = "production", to_version = "1.0.0", reason = "regression" });
        Assert.Equal(HttpStatusCode.OK, rolledBack.Status);
        Assert.Equal(["active", "deprecated"], await StagesAsync(model));
        Assert.Equal(["production"], (await GetAsync($"/api/v1/models/{model}/versions/1.0.0"))["aliases"]!.AsArray().Select(a => a!.GetValue<string>()));

        // An alias resolves at submit, the task keeps what it resolved to, and the serving script loads exactly that
        // version (mnist/serve.csx refuses it for not being a ReferenceCnn, which proves it loaded it).
        var service = await platform.SubmitAsync(new { type = "inference", name = Unique("svc"), model = $"{model}@production" });
        var refused = await platform.WaitForStatusAsync(service, Patience, "failed", "running");
        Assert.Equal(($"{model}@production", $"{model}@1"), (refused["model"]!.GetValue<string>(), refused["resolved_model"]!.GetValue<string>()));
        Assert.Equal("failed", refused["status"]!.GetValue<string>());
        Assert.Contains($"model {model}@1 is a Sum", refused["error"]!.GetValue<string>());

        // Any alias name, and its removal.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/staging", new { version = "2" })).Status);
        Assert.Equal("1.1.0", (await GetAsync($"/api/v1/models/{model}/aliases")).AsArray().Single(a => a!["alias"]!.GetValue<string>() == "staging")!["version"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}/aliases/staging?reason=done", null)).Status);

        // A version given by the script is kept; lineage to a parent model is recorded.
        await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model,
            @params = new { version = "2.0.0", parent = model } });
        var third = (await WaitForVersionsAsync("models", model, 3))[2]!;
        Assert.Equal("2.0.0", third["version"]!.GetValue<string>());
        Assert.Contains(third["lineage"]!.AsArray(), l => l!["relation"]!.GetValue<string>() == "parent" && l["version"]!.GetValue<string>() == "1.1.0");

        var audit = (await GetAsync($"/api/v1/models/{model}/audit")).AsArray();
        Assert.Equal(3, audit.Count(a => a!["action"]!.GetValue<string>() == "registered"));
        var rollback = audit.Single(a => a!["action"]!.GetValue<string>() == "rollback")!;
        // The actor is the key that made the call: the test fleet's bootstrap admin key.
        Assert.Equal(("bootstrap", "regression"), (rollback["actor"]!.GetValue<string>(), rollback["reason"]!.GetValue<string>()));
        Assert.Equal("1.1.0", rollback["before"]!["version"]!.GetValue<string>());
        Assert.Equal("1.0.0", rollback["after"]!["version"]!.GetValue<string>());
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "stage_changed" && a["version"]!.GetValue<string>() == "1.1.0"
                                    && a["before"]!["stage"]!.GetValue<string>() == "active" && a["after"]!["stage"]!.GetValue<string>() == "deprecated");
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "alias_deleted");

        var graph = await GetAsync($"/api/v1/lineage?model={model}@production");
        Assert.Equal($"model:{model}:1.0.0", graph["root"]!.GetValue<string>());
        var edges = graph["edges"]!.AsArray().Select(e => (e!["from"]!.GetValue<string>(), e["to"]!.GetValue<string>(), e["relation"]!.GetValue<string>())).ToList();
        Assert.Contains(($"dataset:{dataset}:1.0.0", $"model:{model}:1.0.0", "input"), edges);
        Assert.Contains(($"task:{first}", $"model:{model}:1.0.0", "produced"), edges);
        Assert.Contains(($"task:{ingest}", $"dataset:{dataset}:1.0.0", "produced"), edges);

        var listed = (await GetAsync($"/api/v1/models?alias=production&prefix={model}")).AsArray();
        Assert.Equal(model, listed.Single()!["id"]!.GetValue<string>());
        Assert.Equal("1.0.0", listed.Single()!["registry"]!["aliases"]!["production"]!.GetValue<string>());
        Assert.Empty((await GetAsync($"/api/v1/models?stage=archived&prefix={model}")).AsArray());
        Assert.Single((await GetAsync($"/api/v1/datasets?stage=registered&prefix={dataset}")).AsArray());
    }

    [Fact]
    public async Task Invalid_transitions_and_bad_references_answer_the_right_4xx()
    {
        var (dataset, model) = (Unique("bad-ds"), Unique("bad-m"));
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        foreach (var _ in Enumerable.Range(0, 3))
            await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model });
        await WaitForVersionsAsync("models", model, 3);

        var skip = await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.0.0/stage", new { stage = "archived" });
        AssertError(skip, 409, "INVALID_STAGE_TRANSITION", "is registered", "active or deprecated");
        AssertError(await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.0.0/stage", new { stage = "retired" }), 400, "INVALID_REQUEST", "'stage'");
        AssertError(await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.0.0/stage", new { reason = "no stage" }), 400, "INVALID_REQUEST", "'stage'");
        AssertError(await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.0.0/stage", "{not json"), 400, "INVALID_REQUEST", "");
        AssertError(await SendAsync(HttpMethod.Get, $"/api/v1/models/{model}/versions/7.0.0", null), 404, "VERSION_NOT_FOUND", "7.0.0");
        AssertError(await SendAsync(HttpMethod.Get, $"/api/v1/models/{model}/versions/latest-ish", null), 400, "INVALID_REQUEST", "semantic version");
        AssertError(await SendAsync(HttpMethod.Get, "/api/v1/models/no-such-model-here/versions", null), 404, "MODEL_NOT_FOUND", "no-such-model-here");
        AssertError(await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/42", new { version = "1.0.0" }), 400, "INVALID_REQUEST", "alias");
        AssertError(await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}/aliases/staging", null), 404, "ALIAS_NOT_FOUND", "staging");
        AssertError(await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/rollback", new { alias = "production", to_version = "1.0.0" }), 404, "ALIAS_NOT_FOUND", "production");

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.0.0" })).Status);
        AssertError(await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/rollback", new { alias = "production", to_version = "1.1.0" }), 409,
            "INVALID_STAGE_TRANSITION", "earlier version");
        AssertError(await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.0.0/stage", new { stage = "deprecated" }), 409, "VERSION_ALIASED", "production");

        // registered -> deprecated -> archived -> deleted; archived and deleted versions cannot be used.
        foreach (var stage in new[] { "deprecated", "archived" })
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.1.0/stage", new { stage, reason = "cleanup" })).Status);
        AssertError(await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/staging", new { version = "1.1.0" }), 409, "VERSION_ARCHIVED", "archived");
        AssertError(await SubmitAsync(new { type = "inference", name = Unique("svc"), model = $"{model}:1.1.0", script = "echo.csx" }), 409, "VERSION_ARCHIVED",
            "archived", $"/api/v1/models/{model}/versions/1.1.0/restore");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.1.0/stage", new { stage = "deleted" })).Status);
        AssertError(await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.1.0/stage", new { stage = "active" }), 409,
            "INVALID_STAGE_TRANSITION", "from deleted it can become deprecated");
        // The newest usable version is what a plain name means once the newer ones are deleted.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.2.0/stage", new { stage = "deleted" })).Status);
        using (var latest = await platform.PostJsonAsync("/api/v1/tasks", new { type = "inference", name = Unique("svc"), model, script = "echo.csx" }))
        {
            Assert.Equal(HttpStatusCode.Created, latest.StatusCode);
            var task = await platform.GetTaskAsync(JsonNode.Parse(await latest.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>());
            Assert.Equal($"{model}@1", task["resolved_model"]!.GetValue<string>());
        }

        AssertError(await SubmitAsync(new { type = "training", name = Unique("t"), script = "echo.csx", input = $"{dataset}:9.9.9" }), 404, "VERSION_NOT_FOUND", "9.9.9");
        AssertError(await SubmitAsync(new { type = "training", name = Unique("t"), script = "echo.csx", input = $"{dataset}@99" }), 404, "VERSION_NOT_FOUND", "99");
        AssertError(await SubmitAsync(new { type = "training", name = Unique("t"), script = "echo.csx", input = $"{dataset}:1.0" }), 400, "INVALID_REQUEST", "'input'");
        AssertError(await SubmitAsync(new { type = "inference", name = Unique("svc"), model = $"{model}@canary" }), 404, "ALIAS_NOT_FOUND", "canary");
        AssertError(await SubmitAsync(new { type = "inference", name = Unique("svc"), model = "bad name!" }), 400, "INVALID_REQUEST", "'model'");
        AssertError(await SendAsync(HttpMethod.Get, $"/api/v1/lineage?model={model}&dataset={dataset}", null), 400, "INVALID_REQUEST", "exactly one");
        AssertError(await SendAsync(HttpMethod.Get, $"/api/v1/lineage?dataset={dataset}@5", null), 404, "VERSION_NOT_FOUND", "5");
    }

    [Fact]
    public async Task Concurrent_promotes_end_with_one_winner_and_a_consistent_state()
    {
        var (dataset, model) = (Unique("race-ds"), Unique("race-m"));
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        foreach (var _ in Enumerable.Range(0, 3))
            await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model });
        await WaitForVersionsAsync("models", model, 3);

        string[] candidates = ["1.0.0", "1.1.0", "1.2.0"];
        var moves = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = candidates[i % 3], reason = $"racer {i}" })));
        Assert.All(moves, m => Assert.Equal(HttpStatusCode.OK, m.Status));

        var versions = (await GetAsync($"/api/v1/models/{model}/versions")).AsArray();
        var winner = Assert.Single(versions, v => v!["aliases"]!.AsArray().Any(a => a!.GetValue<string>() == "production"))!;
        Assert.Equal("active", winner["stage"]!.GetValue<string>());
        Assert.Single(versions, v => v!["stage"]!.GetValue<string>() == "active");
        Assert.All(versions.Where(v => v != winner), v => Assert.Equal("deprecated", v!["stage"]!.GetValue<string>()));

        // The audit tells the moves one after the other: each starts where the one before ended, the last at the winner.
        var alias = (await GetAsync($"/api/v1/models/{model}/audit")).AsArray().Where(a => a!["action"]!.GetValue<string>() == "alias_moved").ToList();
        for (var i = 1; i < alias.Count; i++)
            Assert.Equal(alias[i - 1]!["after"]!["version"]!.GetValue<string>(), alias[i]!["before"]!["version"]!.GetValue<string>());
        Assert.Equal(winner["version"]!.GetValue<string>(), alias[^1]!["after"]!["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reconciliation_registers_commits_the_registry_missed_and_flags_versions_without_data()
    {
        var (dataset, lost, model) = (Unique("rec-ds"), Unique("rec-lost"), Unique("rec-m"));
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = lost });
        await WaitForVersionsAsync("datasets", dataset, 1);
        await WaitForVersionsAsync("datasets", lost, 1);

        // A writer that crashed after its Lance commits: a second dataset version and a model version reach the lake,
        // their registration never happens.
        var lake = new LakeCatalog(new LakeOptions { Root = platform.LakeRoot });
        var schema = new Schema(new Field("value", LanceType.Float64, false));
        await using (var writer = lake.CreateDatasetWriter(dataset, schema, WriteMode.Overwrite))
        {
            await writer.WriteAsync(new RecordBatch(schema, [new Float64Column([1, 2, 3])]));
            await writer.CommitAsync();
        }
        await lake.Models.SaveAsync(model, new ModelArtifact("Sum", BitConverter.GetBytes(6.0), new JsonObject { ["sum"] = 6.0 }, new JsonObject(),
            new JsonObject { ["semantic_version"] = "3.0.0", ["inputs"] = new JsonArray(new JsonObject { ["name"] = dataset, ["lance_version"] = 2 }) }));
        // And a registered version whose data is lost from the lake.
        Directory.Delete(Path.Combine(platform.LakeRoot, "datasets", $"{lost}.lance", Versions.Folder), recursive: true);

        await platform.RestartGatewayAsync(TimeSpan.FromSeconds(1));

        var datasetVersions = await WaitForVersionsAsync("datasets", dataset, 2);
        Assert.Equal(("1.1.0", "reconciled"), (datasetVersions[1]!["version"]!.GetValue<string>(), datasetVersions[1]!["origin"]!.GetValue<string>()));
        var recovered = (await WaitForVersionsAsync("models", model, 1))[0]!;
        Assert.Equal(("3.0.0", "reconciled"), (recovered["version"]!.GetValue<string>(), recovered["origin"]!.GetValue<string>()));
        Assert.Equal((dataset, "1.1.0"), (recovered["lineage"]![0]!["name"]!.GetValue<string>(), recovered["lineage"]![0]!["version"]!.GetValue<string>()));
        Assert.Equal(6.0, recovered["metrics"]!["sum"]!.GetValue<double>());

        var flagged = await WaitForAsync(async () => (await GetAsync($"/api/v1/datasets/{lost}/versions/1.0.0")) is var v && v["data_missing"]!.GetValue<bool>() ? v : null);
        Assert.True(flagged["data_missing"]!.GetValue<bool>());
        Assert.Contains((await GetAsync($"/api/v1/datasets/{lost}/audit")).AsArray(), a => a!["action"]!.GetValue<string>() == "data_missing");
        AssertError(await SubmitAsync(new { type = "training", name = Unique("t"), script = "echo.csx", input = $"{lost}:1.0.0" }), 409, "VERSION_NOT_AVAILABLE", "missing");

        // The lost version number committed again with other data (the lake lost it, or another lake took its place, as
        // eng/run.sh --lake local|s3 on one database does): the new commit resolves at once, before its registration
        // lands, and the registration takes the row over.
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = lost, @params = new { scale = 2 } });
        var (status, submitted) = await SubmitAsync(new { type = "training", name = Unique("t"), script = "echo.csx", input = lost });
        Assert.True(status == HttpStatusCode.Created, submitted.ToJsonString());
        var replaced = await WaitForAsync(async () => (await GetAsync($"/api/v1/datasets/{lost}/versions/1.0.0")) is var v && !v["data_missing"]!.GetValue<bool>() ? v : null);
        Assert.NotEqual(flagged["sha256"]!.GetValue<string>(), replaced["sha256"]!.GetValue<string>());
        Assert.Contains((await GetAsync($"/api/v1/datasets/{lost}/audit")).AsArray(), a => a!["action"]!.GetValue<string>() == "replaced");
    }

    /// <summary>Seen in CI: the first task's report was slower than the second task, which got 1.0.0 for the newer data.</summary>
    [Fact]
    public async Task Versions_are_numbered_in_commit_order_when_a_newer_commits_report_arrives_first()
    {
        var dataset = Unique("order-ds");
        var lake = new LakeCatalog(new LakeOptions { Root = platform.LakeRoot });
        var schema = new Schema(new Field("value", LanceType.Float64, false));
        for (var commit = 0; commit < 3; commit++)
        {
            await using var writer = lake.CreateDatasetWriter(dataset, schema, commit == 0 ? WriteMode.Create : WriteMode.Append);
            await writer.WriteAsync(new RecordBatch(schema, [new Float64Column([commit])]));
            await writer.CommitAsync();
        }

        // The third commit's report comes first, the first commit's after it, the second commit's never.
        var (firstTask, thirdTask) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var services = RegistryServices(TimeProvider.System))
        {
            foreach (var (lanceVersion, task) in new[] { (3L, thirdTask), (1L, firstTask) })
            {
                await using var scope = services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<RegistryService>().RegisterAsync(
                    new VersionRegistration(EntryKind.Dataset, dataset, lanceVersion, "task", $"task:{task}", TaskId: task), default);
            }
        }

        var versions = (await GetAsync($"/api/v1/datasets/{dataset}/versions")).AsArray().Select(v => (
            Lance: v!["lance_version"]!.GetValue<long>(), Version: v["version"]!.GetValue<string>(), Origin: v["origin"]!.GetValue<string>(),
            Task: v["created_by"]!["task_id"]?.GetValue<Guid>())).ToList();
        Assert.Equal([(1L, "1.0.0", "task", (Guid?)firstTask), (2L, "1.1.0", "reconciled", null), (3L, "1.2.0", "task", thirdTask)], versions);
    }

    [Fact]
    public async Task An_older_model_commit_registered_ahead_of_its_report_keeps_the_version_its_script_asked_for()
    {
        var model = Unique("order-model");
        var lake = new LakeCatalog(new LakeOptions { Root = platform.LakeRoot });
        var (firstTask, secondTask) = (Guid.NewGuid(), Guid.NewGuid());
        foreach (var (task, semantic) in new[] { (firstTask, "2.0.0"), (secondTask, "2.1.0") })
            await lake.Models.SaveAsync(model, new ModelArtifact("mlp", [1, 2, 3], new JsonObject { ["accuracy"] = 0.5 }, [],
                new JsonObject { ["semantic_version"] = semantic, ["task_id"] = task.ToString(), ["script_path"] = "train.csx" }));

        // The second commit's report comes first; the first commit's after it.
        await using (var services = RegistryServices(TimeProvider.System))
        {
            foreach (var (lanceVersion, task, semantic) in new[] { (2L, secondTask, "2.1.0"), (1L, firstTask, "2.0.0") })
            {
                await using var scope = services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<RegistryService>().RegisterAsync(
                    new VersionRegistration(EntryKind.Model, model, lanceVersion, "task", $"task:{task}", SemanticVersion.Parse(semantic), task), default);
            }
        }

        var versions = (await GetAsync($"/api/v1/models/{model}/versions")).AsArray().Select(v => (
            Lance: v!["lance_version"]!.GetValue<long>(), Version: v["version"]!.GetValue<string>(), Origin: v["origin"]!.GetValue<string>(),
            Task: v["created_by"]!["task_id"]?.GetValue<Guid>())).ToList();
        Assert.Equal([(1L, "2.0.0", "task", (Guid?)firstTask), (2L, "2.1.0", "task", secondTask)], versions);
    }

    [Fact]
    public async Task The_registry_api_is_typed_in_OpenAPI()
    {
        var document = await GetAsync("/openapi/v1.json");
        var paths = document["paths"]!.AsObject();
        foreach (var kind in new[] { "datasets", "models" })
        foreach (var path in new[] { "versions", "versions/{version}", "versions/{version}/stage", "aliases/{alias}", "rollback", "audit" })
            Assert.True(paths.ContainsKey($"/api/v1/{kind}/{{name}}/{path}"), $"/api/v1/{kind}/{{name}}/{path} is not documented");
        Assert.True(paths.ContainsKey("/api/v1/lineage"));
        var schemas = document["components"]!["schemas"]!.AsObject();
        foreach (var schema in new[] { "VersionView", "AliasMoveView", "AuditView", "LineageGraph", "StageChangeRequest", "RollbackRequest" })
            Assert.True(schemas.ContainsKey(schema), $"schema {schema} is missing");
        Assert.True(schemas["VersionView"]!["properties"]!.AsObject().ContainsKey("lance_version"));
    }
}
