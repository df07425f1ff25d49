using System.Text.Json;

namespace AiPlatform.Gateway.Alerts;

/// <summary>One alert of an Alertmanager webhook notification, as the gateway keeps it.</summary>
public sealed record ReceivedAlert(
    string Fingerprint,
    string Name,
    string Status,
    string? Severity,
    string Summary,
    string Description,
    IReadOnlyDictionary<string, string> Labels,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt,
    string? GeneratorUrl);

/// <summary>
/// Alertmanager's webhook body (version 4: <c>{"version":"4","status":..,"receiver":..,"alerts":[{"status","labels",
/// "annotations","startsAt","endsAt","generatorURL","fingerprint"}],..}</c>), checked field by field so a sender
/// that is not Alertmanager, or a broken one, is told exactly what is wrong.
/// </summary>
public static class AlertmanagerNotification
{
    public const int MaxAlerts = 1000;
    public static readonly string[] Statuses = ["firing", "resolved"];

    /// <returns>The alerts, or the reason the body is refused.</returns>
    public static (IReadOnlyList<ReceivedAlert>? Alerts, string? Error) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, "the body must be an Alertmanager webhook notification (a JSON object)");
        if (!body.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "4")
            return (null, "field 'version' must be \"4\" (Alertmanager's webhook format)");
        if (!body.TryGetProperty("alerts", out var alerts) || alerts.ValueKind != JsonValueKind.Array)
            return (null, "field 'alerts' must be an array");
        if (alerts.GetArrayLength() > MaxAlerts) return (null, $"field 'alerts' holds {alerts.GetArrayLength()} alerts; at most {MaxAlerts} are accepted at once");

        var parsed = new List<ReceivedAlert>();
        var index = 0;
        foreach (var alert in alerts.EnumerateArray())
        {
            var (received, error) = ParseAlert(alert, $"alerts[{index++}]");
            if (error is not null) return (null, error);
            parsed.Add(received!);
        }
        return (parsed, null);
    }

    private static (ReceivedAlert? Alert, string? Error) ParseAlert(JsonElement alert, string at)
    {
        if (alert.ValueKind != JsonValueKind.Object) return (null, $"{at} must be an object");
        var status = Text(alert, "status");
        if (status is null || !Statuses.Contains(status)) return (null, $"{at}.status must be one of {string.Join(", ", Statuses)}");
        var fingerprint = Text(alert, "fingerprint");
        if (string.IsNullOrEmpty(fingerprint) || fingerprint.Length > 64) return (null, $"{at}.fingerprint must be 1-64 characters");
        var (labels, labelError) = StringMap(alert, "labels", at);
        if (labelError is not null) return (null, labelError);
        if (!labels!.TryGetValue("alertname", out var name) || name.Length is 0 or > 256)
            return (null, $"{at}.labels.alertname must be 1-256 characters");
        var (annotations, annotationError) = StringMap(alert, "annotations", at);
        if (annotationError is not null) return (null, annotationError);
        if (!TryTime(alert, "startsAt", out var startsAt) || startsAt is null) return (null, $"{at}.startsAt must be an RFC 3339 time");
        if (!TryTime(alert, "endsAt", out var endsAt)) return (null, $"{at}.endsAt must be an RFC 3339 time");
        // Alertmanager sends endsAt "0001-01-01T00:00:00Z" for an alert with no end yet.
        if (endsAt is { Year: 1 }) endsAt = null;

        return (new ReceivedAlert(fingerprint, name, status, labels.GetValueOrDefault("severity"),
            annotations!.GetValueOrDefault("summary") ?? name, annotations!.GetValueOrDefault("description") ?? "",
            labels, startsAt.Value, endsAt, Text(alert, "generatorURL")), null);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool TryTime(JsonElement element, string property, out DateTimeOffset? time)
    {
        time = null;
        if (!element.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null) return true;
        if (value.ValueKind != JsonValueKind.String || !value.TryGetDateTimeOffset(out var parsed)) return false;
        time = parsed;
        return true;
    }

    private static (Dictionary<string, string>? Map, string? Error) StringMap(JsonElement alert, string property, string at)
    {
        var map = new Dictionary<string, string>();
        if (!alert.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null) return (map, null);
        if (value.ValueKind != JsonValueKind.Object) return (null, $"{at}.{property} must be an object of strings");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String) return (null, $"{at}.{property}.{entry.Name} must be a string");
            map[entry.Name] = entry.Value.GetString()!;
        }
        return (map, null);
    }
}
