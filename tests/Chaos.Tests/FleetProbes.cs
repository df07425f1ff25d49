using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;

namespace AiPlatform.Chaos.Tests;

/// <summary>What the fault runs look at from outside: consumers per queue (RabbitMQ's management API) and polling.</summary>
public static class FleetProbes
{
    /// <summary>Consumers per queue of the fleet's virtual host; empty while the broker does not answer.</summary>
    public static async Task<Dictionary<string, int>> QueueConsumersAsync(LocalFleet fleet)
    {
        try
        {
            using var management = LocalFleet.ManagementClient();
            var queues = await management.GetFromJsonAsync<JsonArray>($"api/queues/{Uri.EscapeDataString(fleet.VirtualHost)}");
            return queues!.ToDictionary(q => q!["name"]!.GetValue<string>(), q => q!["consumers"]?.GetValue<int>() ?? 0);
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    /// <summary>Waits until each task queue has at least the given number of consumers: no worker left deaf.</summary>
    public static Task WaitForConsumersAsync(LocalFleet fleet, IReadOnlyDictionary<string, int> expected) =>
        WaitUntilAsync(async () =>
        {
            var consumers = await QueueConsumersAsync(fleet);
            return expected.All(e => consumers.GetValueOrDefault(e.Key) >= e.Value);
        }, TimeSpan.FromMinutes(3), "every worker consuming its queue again");

    /// <summary>Rows of a dataset as the lake API reports them; null when it does not exist.</summary>
    public static async Task<long?> DatasetRowsAsync(LocalFleet fleet, string name)
    {
        using var response = await fleet.Http.GetAsync($"/api/v1/datasets/{name}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"dataset {name}: {(int)response.StatusCode} {body}");
        var dataset = JsonNode.Parse(body)!;
        return dataset["num_rows"]?.GetValue<long>() ?? dataset["rows"]?.GetValue<long>();
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {what} within {timeout.TotalSeconds} s");
            await Task.Delay(250);
        }
    }

    /// <summary>The value at quantile <paramref name="q"/> (nearest rank), "-" for none.</summary>
    public static string Quantile(IReadOnlyCollection<double> values, double q) =>
        values.Count == 0 ? "-" : values.Order().ElementAt((int)Math.Min(values.Count - 1, Math.Floor(q * values.Count))).ToString("0.0");

    /// <summary>The settings both fault runs give their fleet: a quick monitor, so a fault is judged within seconds.</summary>
    public static Dictionary<string, string> FaultRunSettings(string lakeRoot) => new()
    {
        ["Scripts__Roots__0"] = Path.Combine(RepoPaths.Root, "tests", "Chaos.Tests", "scripts"),
        ["Lake__Root"] = lakeRoot,
        ["Tasks__HeartbeatTimeout"] = "00:00:10",
        ["Tasks__MonitorInterval"] = "00:00:01",
        ["Worker__HeartbeatInterval"] = "00:00:02",
        // MassTransit waits up to 30 s (plus jitter) between an endpoint's reconnect attempts, and an attempt that meets
        // the broker still booting costs another wait: a recovering worker can need ~65 s, which is not deafness.
        ["Worker__RecoveryTimeout"] = "00:01:30",
        // So the gateway gives a recovering worker as long to report what ended during a broker outage.
        ["Tasks__ReconnectGrace"] = "00:01:30",
    };
}
