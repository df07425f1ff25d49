using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiPlatform.Fleet;

/// <summary>The task calls tests and benchmarks make against any fleet's gateway.</summary>
public static class TaskApi
{
    /// <summary>Submits a task and returns its id; anything but 201 throws with the gateway's answer.</summary>
    public static async Task<Guid> SubmitTaskAsync(this HttpClient http, object body)
    {
        using var response = await http.PostAsync("/api/v1/tasks", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"submit answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<Guid>();
    }

    /// <summary>
    /// Attempts that ran the script: each reports its start or its end (an end is retried through any outage). A task
    /// dispatched again before its first attempt ran (the claim's answer lost in a reply queue a broker restart left deaf,
    /// so the worker never started it) counts two attempts but one run; one that ran twice shows two here.
    /// </summary>
    public static async Task<int> AttemptsThatRanAsync(this HttpClient http, Guid id)
    {
        using var response = await http.GetAsync($"/api/v1/tasks/{id}/events");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray()
            .Where(e => e!["kind"]!.GetValue<string>() is "started" or "completed" or "failed" or "cancelled")
            .Select(e => e!["attempt"]!.GetValue<int>()).Distinct().Count();
    }

    /// <summary>The gateway's own broker link as its /healthz reports it: healthy, degraded or unhealthy.</summary>
    public static async Task<string?> BrokerLinkStatusAsync(this HttpClient http)
    {
        using var response = await http.GetAsync("/healthz");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["checks"]?["broker-link"]?["status"]?.GetValue<string>();
    }

    /// <summary>GETs <paramref name="path"/>; anything but a success throws with the status and the gateway's answer.</summary>
    public static async Task<JsonNode> GetJsonAsync(this HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public static async Task<JsonNode> GetTaskAsync(this HttpClient http, Guid id)
    {
        using var response = await http.GetAsync($"/api/v1/tasks/{id}");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public static async Task<JsonNode> WaitForTaskStatusAsync(this HttpClient http, Guid id, TimeSpan timeout, params string[] statuses) =>
        await WaitForTaskAsync(http, id, timeout, t => statuses.Contains(t["status"]!.GetValue<string>()), string.Join("|", statuses));

    /// <summary>Polls the task until <paramref name="condition"/> holds; throws with the task's last state if it never does.</summary>
    public static async Task<JsonNode> WaitForTaskAsync(this HttpClient http, Guid id, TimeSpan timeout, Func<JsonNode, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode task;
        do
        {
            task = await GetTaskAsync(http, id);
            if (condition(task)) return task;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"task {id} did not reach {what} within {timeout.TotalSeconds} s; it is: {task.ToJsonString()}");
    }
}
