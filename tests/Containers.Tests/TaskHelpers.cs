using System.Text.Json.Nodes;
using AiPlatform.Fleet;

namespace AiPlatform.Containers.Tests;

/// <summary>Tasks of the hold script (scripts/hold.csx) and which container ran them.</summary>
public static class TaskHelpers
{
    public static Task<Guid> SubmitHoldAsync(this HttpClient http, string name, double seconds) =>
        http.SubmitTaskAsync(new { type = "training", name = $"{name}-{Guid.NewGuid():N}"[..40], script = "hold.csx", @params = new { seconds } });

    /// <summary>The container (of <paramref name="service"/>) whose worker id the task carries; worker ids hold the host name.</summary>
    public static string ContainerRunning(JsonNode task, string service)
    {
        var workerId = task["worker_id"]?.GetValue<string>() ?? throw new InvalidOperationException($"no worker: {task.ToJsonString()}");
        return Podman.ContainersOf(service).Single(container => workerId.Contains($"-{Podman.HostName(container)}-", StringComparison.Ordinal));
    }

    public static bool IsRunning(JsonNode task) => task["status"]!.GetValue<string>() == "running";
}
