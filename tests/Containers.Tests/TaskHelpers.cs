using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;

namespace AiPlatform.Containers.Tests;

/// <summary>Tasks of the hold script (scripts/hold.csx), waiting on them, and which container ran them.</summary>
public static class TaskHelpers
{
    public static Task<Guid> SubmitHoldAsync(this HttpClient http, string name, double seconds) =>
        http.SubmitTaskAsync(new { type = "training", name = $"{name}-{Guid.NewGuid():N}"[..40], script = "hold.csx", @params = new { seconds } });

    /// <summary>
    /// Polls the task until <paramref name="condition"/> holds. An answer of 5xx counts as "not yet": on a machine
    /// whose two cores every container shares, the gateway's database calls can time out for a moment.
    /// </summary>
    public static async Task<JsonNode> WaitAsync(this HttpClient http, Guid id, TimeSpan timeout, Func<JsonNode, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync($"/api/v1/tasks/{id}");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode)
                {
                    var task = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
                    if (condition(task)) return task;
                }
                else if ((int)response.StatusCode < 500) throw new InvalidOperationException($"task {id}: {last}");
            }
            catch (HttpRequestException e) { last = e.Message; } // the gateway container is restarting
            await Task.Delay(250);
        }
        throw new TimeoutException($"task {id} did not reach {what} within {timeout.TotalSeconds} s; last answer: {last}");
    }

    public static Task<JsonNode> WaitForStatusAsync(this HttpClient http, Guid id, TimeSpan timeout, params string[] statuses) =>
        http.WaitAsync(id, timeout, task => statuses.Contains(task["status"]!.GetValue<string>()), string.Join("|", statuses));

    /// <summary>The container (of <paramref name="service"/>) whose worker id the task carries; worker ids hold the host name.</summary>
    public static string ContainerRunning(JsonNode task, string service) =>
        ContainerOf(task["worker_id"]?.GetValue<string>() ?? throw new InvalidOperationException($"no worker: {task.ToJsonString()}"), service);

    /// <summary>The container (of <paramref name="service"/>) of the serve worker a prediction's X-Served-By names.</summary>
    public static string ContainerServing(HttpResponseMessage prediction, string service) =>
        ContainerOf(prediction.Headers.TryGetValues("X-Served-By", out var values) ? values.Single()
            : throw new InvalidOperationException($"no X-Served-By on a {(int)prediction.StatusCode} answer"), service);

    private static string ContainerOf(string workerId, string service) =>
        Podman.ContainersOf(service).Single(container => workerId.Contains($"-{Podman.HostName(container)}-", StringComparison.Ordinal));

    public static bool IsRunning(JsonNode task) => task["status"]!.GetValue<string>() == "running";
}
