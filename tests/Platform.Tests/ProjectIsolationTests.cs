using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>Projects: what belongs to one is out of sight and reach of another's keys and scripts.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ProjectIsolationTests(PlatformFixture platform)
{
    private static readonly TimeSpan TaskTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_projects_key_sees_and_changes_nothing_of_another_project_whose_names_are_its_own()
    {
        var (projectA, projectB) = (Unique("iso-a"), Unique("iso-b"));
        using var clientA = platform.Client(await platform.CreateKeyAsync(Unique("key-a"), "admin", projectA));
        using var clientB = platform.Client(await platform.CreateKeyAsync(Unique("key-b"), "admin", projectB));
        var dataset = Unique("shared");

        // The same task name and the same dataset name in both projects, at once: each project's own.
        var writeA = await clientA.SubmitTaskAsync(new { type = "ingestion", name = "iso-write", script = "registry/write_dataset.csx", output = dataset, @params = new { rows = 10 } });
        var writeB = await clientB.SubmitTaskAsync(new { type = "ingestion", name = "iso-write", script = "registry/write_dataset.csx", output = dataset, @params = new { rows = 3 } });
        await CompletedAsync(clientA, writeA);
        await CompletedAsync(clientB, writeB);
        Assert.Equal(10, (await clientA.GetJsonAsync($"/api/v1/datasets/{dataset}"))["num_rows"]!.GetValue<long>());
        Assert.Equal(3, (await clientB.GetJsonAsync($"/api/v1/datasets/{dataset}"))["num_rows"]!.GetValue<long>());
        Assert.Single((await clientB.GetJsonAsync($"/api/v1/datasets/{dataset}/versions")).AsArray());

        // Project A's task does not exist for project B's key, whatever it tries.
        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, $"/api/v1/tasks/{writeA}"), (HttpMethod.Get, $"/api/v1/tasks/{writeA}/events"),
                     (HttpMethod.Post, $"/api/v1/tasks/{writeA}/cancel"), (HttpMethod.Post, $"/api/v1/tasks/{writeA}/rerun"),
                     (HttpMethod.Post, $"/api/v1/tasks/{writeA}/predict"),
                 })
        {
            using var request = new HttpRequestMessage(method, path);
            if (method == HttpMethod.Post) request.Content = JsonContent.Create(new { });
            using var response = await clientB.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path} with project B's key answered {(int)response.StatusCode}");
        }
        var listedB = (await clientB.GetJsonAsync("/api/v1/tasks?limit=500"))["items"]!.AsArray().Select(t => t!["id"]!.GetValue<Guid>()).ToList();
        Assert.Contains(writeB, listedB);
        Assert.DoesNotContain(writeA, listedB);

        // A key of every project acts in the default project unless it names another; a project's key names no other.
        using (var defaultProject = await platform.Http.GetAsync($"/api/v1/tasks/{writeA}")) Assert.Equal(HttpStatusCode.NotFound, defaultProject.StatusCode);
        using (var named = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/tasks/{writeA}"))
        {
            named.Headers.Add("X-Project", projectA);
            using var response = await platform.Http.SendAsync(named);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var elsewhere = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tasks"))
        {
            elsewhere.Headers.Add("X-Project", projectB);
            using var response = await clientA.SendAsync(elsewhere);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains(projectA, (await ApiErrorTests.ReadErrorAsync(response)).Message);
        }
        Assert.Equal([projectA], (await clientA.GetJsonAsync("/api/v1/projects")).AsArray().Select(p => p!.GetValue<string>()));
        var every = (await platform.Http.GetJsonAsync("/api/v1/projects")).AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Contains(projectA, every);
        Assert.Contains(projectB, every);

        // Deleting B's dataset leaves A's.
        using (var delete = await clientB.DeleteAsync($"/api/v1/datasets/{dataset}?hard=true")) Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using (var gone = await clientB.GetAsync($"/api/v1/datasets/{dataset}")) Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(10, (await clientA.GetJsonAsync($"/api/v1/datasets/{dataset}"))["num_rows"]!.GetValue<long>());
    }

    /// <summary>Each project's runners get their own lake as theirs: another project's data is neither named nor on disk for them.</summary>
    [Fact]
    public async Task A_script_reaches_no_other_projects_data_through_the_lake_or_on_disk()
    {
        var (projectA, projectB) = (Unique("iso-a"), Unique("iso-b"));
        using var clientA = platform.Client(await platform.CreateKeyAsync(Unique("key-a"), "operator", projectA));
        using var clientB = platform.Client(await platform.CreateKeyAsync(Unique("key-b"), "operator", projectB));
        var dataset = Unique("secret");
        var write = await clientA.SubmitTaskAsync(new { type = "ingestion", name = Unique("write"), script = "registry/write_dataset.csx", output = dataset });
        await CompletedAsync(clientA, write);
        var lakeRoot = Path.GetFullPath(platform.LakeRoot);
        var lakeA = Path.Combine(lakeRoot, "projects", projectA);
        Assert.True(Directory.Exists(Path.Combine(lakeA, "datasets", $"{dataset}.lance")), "project A's dataset is under its own prefix of the lake");
        var cacheA = Path.Combine(Path.GetTempPath(), "aiplatform-tests", "script-cache", projectA);
        Assert.True(Directory.Exists(cacheA), "project A's scripts were compiled into a cache folder of its own");

        // A script of project B; and one of the default project, whose lake holds the other projects' folders.
        foreach (var (client, who) in new[] { (clientB, "project B"), (platform.Http, "the default project") })
        {
            var probe = new { dataset, other_lake = lakeA, lake_root = lakeRoot, other_cache = cacheA };
            var id = await client.SubmitTaskAsync(new { type = "training", name = Unique("probe"), script = "project_probe.csx", @params = probe });
            var task = await CompletedAsync(client, id);
            var result = task["result"]!;
            Assert.DoesNotContain("opened", result["lake_api"]!.GetValue<string>());
            Assert.True(result["other_lake_on_disk"]!.GetValue<string>() is "DirectoryNotFoundException" or "0 entries",
                $"a script of {who} saw project A's lake folder: {result.ToJsonString()}");
            Assert.NotEqual("written", result["plant_in_other_cache"]!.GetValue<string>());
            var wholeLake = result["whole_lake_on_disk"]!.GetValue<string>();
            if (client == clientB)
                Assert.True(wholeLake is "projects" or "DirectoryNotFoundException" or "", $"a script of project B saw the lake's root: {wholeLake}");
        }
    }

    private static async Task<JsonNode> CompletedAsync(HttpClient client, Guid id)
    {
        var task = await client.WaitForTaskStatusAsync(id, TaskTimeout, "completed", "failed");
        Assert.True(task["status"]!.GetValue<string>() == "completed", task.ToJsonString());
        return task;
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}
