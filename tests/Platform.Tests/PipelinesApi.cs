using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The pipeline calls the pipeline tests make.</summary>
public static class PipelinesApi
{
    /// <summary>Generous: on a loaded 2-core machine a script's first compile in a fresh runner can take tens of seconds.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(300);

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    public static async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(this PlatformFixture platform, string path, object body)
    {
        using var response = await platform.PostJsonAsync(path, body);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    public static async Task<Guid> CreatePipelineAsync(this PlatformFixture platform, object definition)
    {
        var (status, body) = await platform.SendAsync("/api/v2/pipelines", definition);
        if (status != HttpStatusCode.Created) throw new InvalidOperationException($"create answered {(int)status}: {body.ToJsonString()}");
        return body["id"]!.GetValue<Guid>();
    }

    public static async Task<Guid> ExecuteAsync(this PlatformFixture platform, Guid pipeline, object? parameters = null)
    {
        var (status, body) = await platform.SendAsync($"/api/v2/pipelines/{pipeline}/execute", new { @params = parameters });
        if (status != HttpStatusCode.Created) throw new InvalidOperationException($"execute answered {(int)status}: {body.ToJsonString()}");
        return body["id"]!.GetValue<Guid>();
    }

    /// <summary>Runs a shipped template to its end; a run that does not complete fails the test with its state.</summary>
    public static async Task<JsonNode> RunTemplateAsync(this PlatformFixture platform, string template, JsonObject parameters)
    {
        var (status, body) = await platform.SendAsync($"/api/v2/templates/{template}/execute", new { @params = parameters });
        Assert.True(status == HttpStatusCode.Created, $"execute answered {(int)status}: {body.ToJsonString()}");
        var done = await platform.WaitForRunAsync(body["id"]!.GetValue<Guid>(), "completed", "failed");
        Assert.True(done["status"]!.GetValue<string>() == "completed", done.ToJsonString());
        return done;
    }

    public static async Task<JsonNode> GetRunAsync(this PlatformFixture platform, Guid run)
    {
        using var response = await platform.Http.GetAsync($"/api/v2/runs/{run}");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public static Task<JsonNode> WaitForRunAsync(this PlatformFixture platform, Guid run, params string[] statuses) =>
        platform.WaitForRunAsync(run, r => statuses.Contains(r["status"]!.GetValue<string>()) && !Steps(r).Any(s => State(s) == "running"),
            string.Join("|", statuses) + " with no step running");

    public static async Task<JsonNode> WaitForRunAsync(this PlatformFixture platform, Guid run, Func<JsonNode, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        JsonNode current;
        do
        {
            current = await platform.GetRunAsync(run);
            if (condition(current)) return current;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"run {run} did not reach {what} within {Patience.TotalSeconds} s; it is: {current.ToJsonString()}");
    }

    public static IEnumerable<JsonNode> Steps(JsonNode run) => run["steps"]!.AsArray().Select(s => s!);

    public static JsonNode Step(JsonNode run, string name) => Steps(run).Single(s => s["name"]!.GetValue<string>() == name);

    public static string State(JsonNode step) => step["state"]!.GetValue<string>();

    public static string StepState(JsonNode run, string name) => State(Step(run, name));
}
