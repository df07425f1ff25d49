using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>Archive, restore and delete through REST, against the fleet's lake (local; the lake tests cover S3).</summary>
[Collection(PlatformCollection.Name)]
public sealed class RegistryLifecycleTests(PlatformFixture platform) : RegistryTestBase
{
    protected override PlatformFixture Platform => platform;

    [Fact]
    public async Task An_archived_version_leaves_the_lake_refuses_reads_and_comes_back_bit_exact()
    {
        var (dataset, model) = (Unique("arc-ds"), Unique("arc-m"));
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        foreach (var _ in Enumerable.Range(0, 3))
            await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model });
        await WaitForVersionsAsync("models", model, 3);
        var modelFolder = Path.Combine(platform.LakeRoot, "models", $"{model}.lance");
        var original = Hashes(Path.Combine(modelFolder, "data"));
        Assert.Equal(3, original.Count);

        AssertError(await ArchiveAsync(model, "1.0.0"), 409, "INVALID_STAGE_TRANSITION", "is registered");
        await DeprecateAsync(model, "1.0.0");
        var archived = await ArchiveAsync(model, "1.0.0", "nobody serves it");
        Assert.Equal(HttpStatusCode.OK, archived.Status);
        Assert.Equal("archived", archived.Body["stage"]!.GetValue<string>());
        // Its own file went to cold storage whole; the other versions' files did not move.
        var cold = Hashes(Path.Combine(platform.LakeRoot, "cold", "models", $"{model}.lance", "data"));
        var moved = Assert.Single(cold);
        Assert.Equal(original[moved.Key], moved.Value);
        Assert.Equal(original.Where(o => o.Key != moved.Key), Hashes(Path.Combine(modelFolder, "data")));

        // Every way of reading it is refused, naming the restore call; the newest version stays in place.
        var refusal = await SubmitAsync(new { type = "inference", name = Unique("svc"), model = $"{model}:1.0.0", script = "echo.csx" });
        AssertError(refusal, 409, "VERSION_ARCHIVED", $"POST /api/v1/models/{model}/versions/1.0.0/restore", "?restore=true");
        AssertError(await SubmitAsync(new { type = "inference", name = Unique("svc"), model = $"{model}@1", script = "echo.csx" }), 409, "VERSION_ARCHIVED");
        AssertError(await SendAsync(HttpMethod.Get, $"/api/v1/lineage?model={model}:1.0.0", null), 409, "VERSION_ARCHIVED");
        var lake = new LakeCatalog(new LakeOptions { Root = platform.LakeRoot });
        var script = await Assert.ThrowsAsync<VersionArchivedException>(() => lake.Models.LoadAsync(model, 1));
        Assert.Contains($"/api/v1/models/{model}/versions/1/restore", script.Message);
        await DeprecateAsync(model, "1.2.0");
        AssertError(await ArchiveAsync(model, "1.2.0"), 409, "NEWEST_VERSION", "newest");

        // A submit that asks for it restores the version first, and runs on it.
        using var restoring = await platform.PostJsonAsync("/api/v1/tasks?restore=true",
            new { type = "inference", name = Unique("svc"), model = $"{model}:1.0.0", script = "serving/echo_predictor.csx" });
        Assert.Equal(HttpStatusCode.Created, restoring.StatusCode);
        var service = JsonNode.Parse(await restoring.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>();
        Assert.Equal($"{model}@1", (await platform.GetTaskAsync(service))["resolved_model"]!.GetValue<string>());
        Assert.Equal("deprecated", (await GetAsync($"/api/v1/models/{model}/versions/1.0.0"))["stage"]!.GetValue<string>());
        Assert.Equal(original, Hashes(Path.Combine(modelFolder, "data")));
        Assert.Equal(45.0, BitConverter.ToDouble((await lake.Models.LoadAsync(model, 1)).Weights));

        // While that service runs, its version can be neither archived nor deleted.
        Assert.Equal("running", (await platform.WaitForStatusAsync(service, Patience, "running", "failed", "completed"))["status"]!.GetValue<string>());
        AssertError(await ArchiveAsync(model, "1.0.0"), 409, "IN_USE", "service", service.ToString());
        AssertError(await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}/versions/1.0.0", null), 409, "IN_USE", service.ToString());
        using (await platform.Http.PostAsync($"/api/v1/tasks/{service}/cancel", null)) { }
        await platform.WaitForStatusAsync(service, Patience, "cancelled", "failed", "completed");

        // The stage call archives too, and the restore call brings it back the same.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.0.0/stage", new { stage = "archived" })).Status);
        Assert.NotEqual(original, Hashes(Path.Combine(modelFolder, "data")));
        var restored = await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.0.0/restore", new { reason = "audit asks for it" });
        Assert.Equal("deprecated", restored.Body["stage"]!.GetValue<string>());
        Assert.Equal(original, Hashes(Path.Combine(modelFolder, "data")));
        AssertError(await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.0.0/restore", new { }), 409, "INVALID_STAGE_TRANSITION", "only archived or deleted");

        var audit = (await GetAsync($"/api/v1/models/{model}/audit")).AsArray();
        var first = audit.First(a => a!["action"]!.GetValue<string>() == "archived")!;
        Assert.Equal(("bootstrap", "nobody serves it", "deprecated"), (first["actor"]!.GetValue<string>(), first["reason"]!.GetValue<string>(),
            first["before"]!["stage"]!.GetValue<string>()));
        Assert.Equal((1, "archived"), (first["after"]!["moved_files"]!.GetValue<int>(), first["after"]!["stage"]!.GetValue<string>()));
        Assert.Equal(2, audit.Count(a => a!["action"]!.GetValue<string>() == "restored"));
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "restored" && a["reason"]!.GetValue<string>().Contains("?restore=true"));
    }

    [Fact]
    public async Task Deletes_are_soft_first_restorable_and_hard_on_request()
    {
        var model = Unique("del-m");
        var dataset = Unique("del-ds");
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        foreach (var _ in Enumerable.Range(0, 3))
            await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model });
        await WaitForVersionsAsync("models", model, 3);
        var data = Path.Combine(platform.LakeRoot, "models", $"{model}.lance", "data");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.2.0" })).Status);

        // Soft: the version cannot be used, its files stay, and it can be restored.
        var soft = await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}/versions/1.1.0?reason=superseded", null);
        Assert.Equal((HttpStatusCode.OK, "deleted"), (soft.Status, soft.Body["stage"]!.GetValue<string>()));
        AssertError(await SubmitAsync(new { type = "inference", name = Unique("svc"), model = $"{model}:1.1.0", script = "echo.csx" }), 409, "VERSION_NOT_AVAILABLE", "deleted");
        Assert.Equal(3, Directory.GetFiles(data).Length);
        Assert.Equal("deprecated", (await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.1.0/restore", new { })).Body["stage"]!.GetValue<string>());

        // An aliased version is not deleted; the newest keeps its data (the next write builds on it).
        AssertError(await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}/versions/1.2.0", null), 409, "INVALID_STAGE_TRANSITION", "active");
        AssertError(await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}/versions/7.0.0", null), 404, "VERSION_NOT_FOUND");

        // Hard: the version's files and its row go; the audit keeps what it was.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}/versions/1.0.0?hard=true&reason=gdpr", null)).Status);
        AssertError(await SendAsync(HttpMethod.Get, $"/api/v1/models/{model}/versions/1.0.0", null), 404, "VERSION_NOT_FOUND");
        Assert.Equal(2, Directory.GetFiles(data).Length);
        Assert.Equal([2L, 3L], await new LakeCatalog(new LakeOptions { Root = platform.LakeRoot }).ListVersionsAsync(EntryKind.Model, model));
        var purged = (await GetAsync($"/api/v1/models/{model}/audit")).AsArray().Single(a => a!["action"]!.GetValue<string>() == "purged")!;
        Assert.Equal(("gdpr", "1.0.0", 1), (purged["reason"]!.GetValue<string>(), purged["before"]!["version"]!.GetValue<string>(),
            purged["after"]!["removed_files"]!.GetValue<int>()));

        // The whole model: soft (aliases go, every version deleted), then hard.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}?reason=retired", null)).Status);
        Assert.All((await GetAsync($"/api/v1/models/{model}/versions")).AsArray(), v => Assert.Equal("deleted", v!["stage"]!.GetValue<string>()));
        Assert.Empty((await GetAsync($"/api/v1/models/{model}/aliases")).AsArray());
        AssertError(await SubmitAsync(new { type = "inference", name = Unique("svc"), model, script = "echo.csx" }), 409, "VERSION_NOT_AVAILABLE");
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}?hard=true", null)).Status);
        AssertError(await SendAsync(HttpMethod.Get, $"/api/v1/models/{model}", null), 404, "MODEL_NOT_FOUND");
        Assert.False(Directory.Exists(Path.Combine(platform.LakeRoot, "models", $"{model}.lance")));
        AssertError(await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}", null), 404, "MODEL_NOT_FOUND");

        // A dataset a running task reads is refused, naming the task.
        var reader = await platform.SubmitAsync(new { type = "training", name = Unique("reader"), script = "sleep.csx", input = dataset, @params = new { seconds = 60 } });
        await platform.WaitForStatusAsync(reader, Patience, "running");
        AssertError(await SendAsync(HttpMethod.Delete, $"/api/v1/datasets/{dataset}/versions/1.0.0", null), 409, "IN_USE", "training task", reader.ToString());
        AssertError(await SendAsync(HttpMethod.Delete, $"/api/v1/datasets/{dataset}", null), 409, "IN_USE", reader.ToString());
        using (await platform.Http.PostAsync($"/api/v1/tasks/{reader}/cancel", null)) { }
        await platform.WaitForStatusAsync(reader, Patience, "cancelled");
    }

    [Fact]
    public async Task An_archive_a_crash_interrupted_is_finished_at_start()
    {
        var (dataset, model) = (Unique("crash-ds"), Unique("crash-m"));
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        foreach (var _ in Enumerable.Range(0, 2))
            await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model });
        await WaitForVersionsAsync("models", model, 2);
        await DeprecateAsync(model, "1.0.0");

        // As a gateway that died after copying and verifying version 1's file, before deleting it or recording the stage.
        var store = new LocalObjectStore(platform.LakeRoot);
        var path = LakeCatalog.ModelPath(model);
        var file = (await VersionFiles.OfAsync(store, path, 1)).Single();
        var bytes = await store.ReadAsync($"{path}/{file.Path}");
        await store.WriteAsync($"cold/{path}/{file.Path}", bytes);
        var record = new ArchiveRecord(1, ArchiveStates.Copied, DateTimeOffset.UtcNow, "cold", [new ArchivedFile(file.Path, bytes.Length, Sha256(bytes))]);
        await store.WriteAsync($"{path}/{Versions.Folder}/{Versions.ArchiveRecordName(1)}",
            JsonSerializer.SerializeToUtf8Bytes(record, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));

        await platform.RestartGatewayAsync(TimeSpan.FromSeconds(1));

        var settled = await WaitForAsync(async () => (await GetAsync($"/api/v1/models/{model}/versions/1.0.0")) is var v && v["stage"]!.GetValue<string>() == "archived" ? v : null);
        Assert.Equal("archived", settled["stage"]!.GetValue<string>());
        Assert.Null(await store.SizeAsync($"{path}/{file.Path}"));
        Assert.Contains((await GetAsync($"/api/v1/models/{model}/audit")).AsArray(),
            a => a!["action"]!.GetValue<string>() == "archived" && a["actor"]!.GetValue<string>() == "reconciler");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.0.0/restore", new { })).Status);
        Assert.Equal(bytes, await store.ReadAsync($"{path}/{file.Path}"));
    }

    [Fact]
    public async Task The_lifecycle_api_is_typed_in_OpenAPI()
    {
        var paths = (await GetAsync("/openapi/v1.json"))["paths"]!.AsObject();
        foreach (var kind in new[] { "datasets", "models" })
        {
            foreach (var path in new[] { "versions/{version}/archive", "versions/{version}/restore" })
                Assert.True(paths[$"/api/v1/{kind}/{{name}}/{path}"]?["post"] is not null, $"POST /api/v1/{kind}/{{name}}/{path} is not documented");
            Assert.NotNull(paths[$"/api/v1/{kind}/{{name}}/versions/{{version}}"]!["delete"]);
            var parameters = paths[$"/api/v1/{kind}/{{id}}"]!["delete"]!["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>());
            Assert.Contains("hard", parameters);
        }
    }

    private Task<(HttpStatusCode Status, JsonNode Body)> ArchiveAsync(string model, string version, string? reason = null) =>
        SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/{version}/archive", new { reason });

    private async Task DeprecateAsync(string model, string version) =>
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/{version}/stage", new { stage = "deprecated" })).Status);

    private static Dictionary<string, string> Hashes(string folder) =>
        Directory.Exists(folder)
            ? Directory.GetFiles(folder).Order().ToDictionary(f => Path.GetFileName(f), f => Sha256(File.ReadAllBytes(f)))
            : [];

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
