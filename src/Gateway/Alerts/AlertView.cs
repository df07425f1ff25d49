using System.Text.Json;

namespace AiPlatform.Gateway.Alerts;

/// <summary>An alert as the API, the monitoring page and the forwarded JSON webhooks show it.</summary>
public sealed record AlertView(
    string Fingerprint, string Name, string Status, string? Severity, string Summary, string Description,
    IReadOnlyDictionary<string, string> Labels, DateTimeOffset StartsAt, DateTimeOffset? EndsAt, string? GeneratorUrl,
    DateTimeOffset? LastReceivedAt = null)
{
    /// <summary>The API's own naming, for bodies the gateway sends outside ASP.NET Core's pipeline.</summary>
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static AlertView From(ReceivedAlert a) =>
        new(a.Fingerprint, a.Name, a.Status, a.Severity, a.Summary, a.Description, a.Labels, a.StartsAt, a.EndsAt, a.GeneratorUrl);

    public static AlertView From(AlertRecord a) =>
        new(a.Fingerprint, a.Name, a.Status, a.Severity, a.Summary, a.Description,
            JsonSerializer.Deserialize<Dictionary<string, string>>(a.LabelsJson) ?? [], a.StartsAt, a.EndsAt, a.GeneratorUrl, a.LastReceivedAt);
}

public sealed record AlertList(IReadOnlyList<AlertView> Alerts);

public sealed record AlertsReceived(int Received, int ForwardedTo);
