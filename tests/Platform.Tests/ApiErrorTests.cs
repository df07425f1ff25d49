using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

[Collection(PlatformCollection.Name)]
public sealed class ApiErrorTests(PlatformFixture platform)
{
    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    public static TheoryData<string, string> BadSubmissions => new()
    {
        { """{"name":"x","script":"echo.csx"}""", "'type'" },
        { """{"type":"mining","name":"x","script":"echo.csx"}""", "'type'" },
        { """{"type":"ingestion","script":"echo.csx"}""", "'name'" },
        { """{"type":"ingestion","name":"bad name!","script":"echo.csx"}""", "'name'" },
        { """{"type":"ingestion","name":42,"script":"echo.csx"}""", "'name'" },
        { """{"type":"ingestion","name":"x"}""", "'script'" },
        { """{"type":"training","name":"x","script":"missing.csx"}""", "not found" },
        { """{"type":"training","name":"x","script":"../scripts/mnist/train.csx"}""", "'..'" },
        { """{"type":"training","name":"x","script":"nested/../../Platform.Tests.csproj"}""", "'..'" },
        { """{"type":"training","name":"x","script":"/etc/passwd"}""", "absolute" },
        { """{"type":"training","name":"x","script":"echo.txt"}""", ".csx" },
        { """{"type":"training","name":"x","script":"echo.csx","params":[1,2]}""", "'params'" },
        { """{"type":"training","name":"x","script":"echo.csx","device":"cuda"}""", "'device'" },
        { """{"type":"inference","name":"x"}""", "'model'" },
        { """{"type":"ingestion","name":"x","script":"echo.csx",""", "not valid JSON" },
        { "[1,2,3]", "JSON object" },
    };

    [Theory]
    [MemberData(nameof(BadSubmissions))]
    public async Task Bad_submissions_get_400_naming_the_problem(string body, string mentioned)
    {
        using var response = await platform.PostRawAsync("/api/v1/tasks", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ReadErrorAsync(response);
        Assert.Equal("INVALID_REQUEST", error.Code);
        Assert.Contains(mentioned, error.Message);
    }

    [Fact]
    public async Task Unknown_tasks_are_404_in_the_error_envelope()
    {
        foreach (var path in new[] { $"/api/v1/tasks/{Guid.NewGuid()}", "/api/v1/tasks/not-a-guid", $"/api/v1/tasks/{Guid.NewGuid()}/events" })
        {
            using var response = await platform.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("TASK_NOT_FOUND", (await ReadErrorAsync(response)).Code);
        }
        using var cancel = await platform.Http.PostAsync($"/api/v1/tasks/{Guid.NewGuid()}/cancel", null);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.Equal("TASK_NOT_FOUND", (await ReadErrorAsync(cancel)).Code);
    }

    [Fact]
    public async Task Unknown_routes_answer_in_the_error_envelope()
    {
        using var response = await platform.Http.GetAsync("/api/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NOT_FOUND", (await ReadErrorAsync(response)).Code);
    }

    [Fact]
    public async Task A_second_active_task_of_the_same_name_is_a_conflict()
    {
        var name = UniqueName("dup");
        var first = await platform.SubmitAsync(new { type = "training", name, script = "sleep.csx", @params = new { seconds = 2 } });
        using var second = await platform.PostJsonAsync("/api/v1/tasks", new { type = "training", name, script = "echo.csx" });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var error = await ReadErrorAsync(second);
        Assert.Equal("TASK_ALREADY_RUNNING", error.Code);
        Assert.Contains(name, error.Message);

        // Once the first has finished, the name is free again.
        await platform.WaitForStatusAsync(first, TimeSpan.FromSeconds(60), "completed");
        var again = await platform.SubmitAsync(new { type = "training", name, script = "echo.csx" });
        await platform.WaitForStatusAsync(again, TimeSpan.FromSeconds(60), "completed");
    }

    [Fact]
    public async Task Racing_submits_of_one_name_let_exactly_one_win()
    {
        var name = UniqueName("race");
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            platform.PostJsonAsync("/api/v1/tasks", new { type = "ingestion", name, script = "echo.csx" })));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        foreach (var response in responses) response.Dispose();
    }

    [Fact]
    public async Task Listing_filters_by_type_and_status_and_pages()
    {
        var name = UniqueName("list");
        var id = await platform.SubmitAsync(new { type = "ingestion", name, script = "echo.csx" });
        await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed");

        var page = await platform.Http.GetJsonAsync($"/api/v1/tasks?type=ingestion&status=completed&limit=500");
        Assert.Contains(page["items"]!.AsArray(), t => t!["id"]!.GetValue<Guid>() == id);
        Assert.All(page["items"]!.AsArray(), t =>
        {
            Assert.Equal("ingestion", t!["type"]!.GetValue<string>());
            Assert.Equal("completed", t["status"]!.GetValue<string>());
        });
        var none = await platform.Http.GetJsonAsync($"/api/v1/tasks?type=training&name={name}");
        Assert.Empty(none["items"]!.AsArray());

        var one = await platform.Http.GetJsonAsync("/api/v1/tasks?limit=1&offset=0");
        Assert.Single(one["items"]!.AsArray());
        Assert.True(one["total"]!.GetValue<int>() >= 1);

        foreach (var bad in new[] { "?type=mining", "?status=sleeping", "?limit=0", "?limit=100000", "?offset=-1" })
        {
            using var response = await platform.Http.GetAsync("/api/v1/tasks" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("INVALID_REQUEST", (await ReadErrorAsync(response)).Code);
        }
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_task_endpoints()
    {
        var document = await platform.Http.GetJsonAsync("/openapi/v1.json");
        var paths = document["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/api/v1/tasks"));
        Assert.True(paths.ContainsKey("/api/v1/tasks/{id}/cancel"));
    }

    internal static async Task<(string Code, string Message)> ReadErrorAsync(HttpResponseMessage response)
    {
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var error = body["error"]!;
        Assert.Equal(2, error.AsObject().Count);
        return (error["code"]!.GetValue<string>(), error["message"]!.GetValue<string>());
    }
}
