using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AiPlatform.Messages;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Monitoring;

public sealed record QueueView(
    string Name,
    [property: JsonPropertyName("messages_ready")] long Ready,
    [property: JsonPropertyName("messages_unacked")] long Unacked,
    int Consumers,
    [property: JsonPropertyName("publish_rate")] double PublishRate,
    [property: JsonPropertyName("deliver_rate")] double DeliverRate,
    [property: JsonPropertyName("is_error_queue")] bool IsErrorQueue);

/// <summary>
/// Queue depths and rates from RabbitMQ's management API. The gateway holds the credentials; browsers only see the
/// figures. MassTransit's <c>_error</c> and <c>_skipped</c> queues are flagged: messages there need a person.
/// </summary>
public sealed class QueueMonitor(IHttpClientFactory clients, IOptions<RabbitMqOptions> rabbit)
{
    public async Task<IReadOnlyList<QueueView>> GetQueuesAsync(CancellationToken ct)
    {
        var options = rabbit.Value;
        if (options.ManagementUrl is null) return [];
        using var client = clients.CreateClient();
        client.BaseAddress = new Uri(options.ManagementUrl.TrimEnd('/') + "/");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")));
        var queues = await client.GetFromJsonAsync<JsonArray>($"api/queues/{Uri.EscapeDataString(options.VirtualHost)}", ct) ?? [];
        return queues.Select(q => new QueueView(
                q!["name"]!.GetValue<string>(),
                q["messages_ready"]?.GetValue<long>() ?? 0,
                q["messages_unacknowledged"]?.GetValue<long>() ?? 0,
                q["consumers"]?.GetValue<int>() ?? 0,
                q["message_stats"]?["publish_details"]?["rate"]?.GetValue<double>() ?? 0,
                q["message_stats"]?["deliver_get_details"]?["rate"]?.GetValue<double>() ?? 0,
                q["name"]!.GetValue<string>().EndsWith("_error", StringComparison.Ordinal)
                || q["name"]!.GetValue<string>().EndsWith("_skipped", StringComparison.Ordinal)))
            .OrderByDescending(q => q.IsErrorQueue).ThenBy(q => q.Name)
            .ToList();
    }
}
