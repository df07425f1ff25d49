using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The two task features pipelines build on: re-running a task as it was, and refusing a task whose inputs do not exist.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PipelinesTaskRerunTests(PlatformFixture platform)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_rerun_is_a_new_task_with_the_same_spec_and_script_snapshot()
    {
        var name = Unique("rerun");
        var original = await platform.SubmitAsync(new { type = "training", name, script = "echo.csx", @params = new { message = "again", times = 2 }, timeout_seconds = 600 });
        var first = await platform.WaitForStatusAsync(original, Patience, "completed", "failed");
        Assert.Equal("completed", first["status"]!.GetValue<string>());

        using var response = await platform.PostJsonAsync($"/api/v1/tasks/{original}/rerun", new { });
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var rerun = created["id"]!.GetValue<Guid>();
        Assert.NotEqual(original, rerun);
        Assert.Equal(original, created["rerun_of"]!.GetValue<Guid>());

        var second = await platform.WaitForStatusAsync(rerun, Patience, "completed", "failed");
        Assert.Equal("completed", second["status"]!.GetValue<string>());
        foreach (var field in new[] { "type", "name", "script", "script_sha256", "params", "timeout_seconds" })
            Assert.Equal(first[field]!.ToJsonString(), second[field]!.ToJsonString());
        Assert.Equal(first["result"]!["message"]!.ToJsonString(), second["result"]!["message"]!.ToJsonString());
        Assert.Equal(original, second["rerun_of"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task A_rerun_of_a_task_that_is_still_running_is_refused_like_a_second_submit()
    {
        var running = await platform.SubmitAsync(new { type = "training", name = Unique("rerun-busy"), script = "sleep.csx", @params = new { seconds = 30 } });
        using var response = await platform.PostJsonAsync($"/api/v1/tasks/{running}/rerun", new { });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("TASK_ALREADY_RUNNING", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
        using var cancel = await platform.PostJsonAsync($"/api/v1/tasks/{running}/cancel", new { });
    }

    [Fact]
    public async Task A_rerun_of_an_unknown_task_is_404()
    {
        using var response = await platform.PostJsonAsync($"/api/v1/tasks/{Guid.NewGuid()}/rerun", new { });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("TASK_NOT_FOUND", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("training", "input", "DATASET_NOT_FOUND")]
    [InlineData("inference", "model", "MODEL_NOT_FOUND")]
    public async Task A_task_naming_an_input_that_does_not_exist_is_refused_at_submit_with_the_name(string type, string field, string code)
    {
        var missing = Unique("no-such");
        var body = new JsonObject { ["type"] = type, ["name"] = Unique("missing-input"), ["script"] = type == "training" ? "echo.csx" : null, [field] = missing };
        using var response = await platform.PostRawAsync("/api/v1/tasks", body.ToJsonString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.Contains($"'{missing}'", error["message"]!.GetValue<string>());
        Assert.DoesNotContain(platform.LakeRoot, text);
        Assert.DoesNotContain("/tmp", text);
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}
