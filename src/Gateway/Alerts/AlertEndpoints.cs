using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Auth;
using AiPlatform.Gateway.Projects;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Alerts;

/// <summary>
/// The receiver Alertmanager sends its notifications to (an operator key, given to Alertmanager as its bearer
/// credentials), and the list the monitoring page shows.
/// </summary>
public static class AlertEndpoints
{
    public const string ForwardFailed = "ALERT_FORWARD_FAILED";
    private const long MaxBodyBytes = 4 * 1024 * 1024;
    private const int MaxListed = 500;

    public static void MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/v1/alerts").WithTags("Alerts");
        alerts.MapPost("/", ReceiveAsync).WithName("ReceiveAlerts").RequireAuthorization(Roles.Policy(Roles.Operator), ProjectPolicies.EveryProject).Accepts<object>("application/json")
            .Produces<AlertsReceived>().Produces<ApiError>(400).Produces<ApiError>(413).Produces<ApiError>(502);
        alerts.MapGet("/", ListAsync).WithName("ListAlerts").Produces<AlertList>().Produces<ApiError>(400);
    }

    private static async Task<IResult> ReceiveAsync(HttpRequest request, AlertStore store, AlertForwarder forwarder, IOptions<AlertOptions> options,
        CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync(request, MaxBodyBytes, ct);
        if (error is not null) return error;
        using (body)
        {
            var (alerts, invalid) = AlertmanagerNotification.Parse(body!.RootElement);
            if (invalid is not null) return ApiError.BadRequest(invalid);
            await store.RecordAsync(alerts!, ct);
            var failures = await forwarder.ForwardAsync(alerts!, ct);
            // Recorded, but not passed on everywhere: a 5xx makes Alertmanager send the notification again.
            if (failures.Count > 0)
                return ApiError.Result(StatusCodes.Status502BadGateway, ForwardFailed,
                    $"{alerts!.Count} alert(s) recorded, but forwarding failed: {string.Join("; ", failures)}");
            var targets = options.Value.Webhooks.Count + (options.Value.Email is null ? 0 : 1);
            return Results.Ok(new AlertsReceived(alerts!.Count, alerts.Count == 0 ? 0 : targets));
        }
    }

    private static async Task<IResult> ListAsync(AlertStore store, string? status, int? limit, CancellationToken ct)
    {
        if (status is not null && !AlertmanagerNotification.Statuses.Contains(status))
            return ApiError.BadRequest($"query 'status' must be one of {string.Join(", ", AlertmanagerNotification.Statuses)}; got '{status}'");
        if (limit is < 1 or > MaxListed) return ApiError.BadRequest($"query 'limit' must be 1-{MaxListed}; got {limit}");
        var found = await store.ListAsync(status, limit ?? 100, ct);
        return Results.Ok(new AlertList(found.Select(AlertView.From).ToList()));
    }
}
