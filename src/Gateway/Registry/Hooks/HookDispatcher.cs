using System.Text;
using AiPlatform.Gateway.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Registry.Hooks;

/// <summary>
/// Sends pending deliveries, signed, and retries failures with doubling backoff (capped) up to
/// <see cref="RegistryOptions.HookMaxAttempts"/>; every attempt's outcome is in the delivery log. Several gateways can
/// run it: a delivery is leased by one before it is sent.
/// </summary>
public sealed class HookDispatcher(IServiceScopeFactory scopes, IHttpClientFactory clients, TimeProvider clock, IOptions<RegistryOptions> options,
    ILogger<HookDispatcher> logger) : BackgroundService
{
    public const string ClientName = "registry-hooks";
    private const int Batch = 20;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var sent = 0;
            try
            {
                sent = await DeliverDueAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Hook deliveries could not be processed; trying again");
            }
            if (sent < Batch) await Task.Delay(options.Value.HookPollInterval, clock, stoppingToken);
        }
    }

    /// <summary>Leases and sends the deliveries that are due; returns how many were attempted.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var now = clock.GetUtcNow();
        var due = await db.Set<HookDelivery>().FromSql($"""
            UPDATE registry_hook_deliveries SET "NextAttemptAt" = {now + Lease}
            WHERE "Id" IN (SELECT "Id" FROM registry_hook_deliveries WHERE "Status" = {HookDeliveryStatus.Pending} AND "NextAttemptAt" <= {now}
                           ORDER BY "Id" LIMIT {Batch} FOR UPDATE SKIP LOCKED)
            RETURNING *
            """).ToListAsync(ct);
        if (due.Count == 0) return 0;
        var hookIds = due.Select(d => d.HookId).Distinct().ToList();
        var hooks = await db.Set<RegistryHook>().AsNoTracking().Where(h => hookIds.Contains(h.Id)).ToDictionaryAsync(h => h.Id, ct);
        foreach (var delivery in due)
        {
            var (status, error) = await SendAsync(hooks[delivery.HookId], delivery.Event, delivery.Id.ToString(), delivery.PayloadJson, ct);
            delivery.Attempts++;
            delivery.LastStatusCode = status;
            delivery.LastError = error;
            var finishedAt = clock.GetUtcNow();
            if (error is null)
            {
                delivery.Status = HookDeliveryStatus.Delivered;
                delivery.FinishedAt = finishedAt;
                delivery.NextAttemptAt = null;
            }
            else if (delivery.Attempts >= options.Value.HookMaxAttempts)
            {
                delivery.Status = HookDeliveryStatus.Failed;
                delivery.FinishedAt = finishedAt;
                delivery.NextAttemptAt = null;
                logger.LogWarning("Hook delivery {Delivery} to {Url} failed for good after {Attempts} attempts: {Error}", delivery.Id, hooks[delivery.HookId].Url,
                    delivery.Attempts, error);
            }
            else
            {
                delivery.NextAttemptAt = finishedAt + Backoff(delivery.Attempts);
            }
        }
        await db.SaveChangesAsync(ct);
        return due.Count;
    }

    /// <summary>The first retry after <see cref="RegistryOptions.HookRetryBase"/>, doubling each time, never more than ten minutes.</summary>
    public TimeSpan Backoff(int attempts) =>
        TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, options.Value.HookRetryBase.Ticks * (1L << Math.Min(attempts - 1, 20))));

    /// <summary>Posts the signed body; the status code, and an error unless the receiver answered 2xx.</summary>
    public async Task<(int? Status, string? Error)> SendAsync(RegistryHook hook, string @event, string deliveryId, string payload, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(HookSignature.Header, HookSignature.Sign(hook.Secret, body));
        request.Headers.Add(HookSignature.EventHeader, @event);
        request.Headers.Add(HookSignature.DeliveryHeader, deliveryId);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, ct);
            if (response.IsSuccessStatusCode) return ((int)response.StatusCode, null);
            var text = await response.Content.ReadAsStringAsync(ct);
            return ((int)response.StatusCode, $"answered {(int)response.StatusCode}: {(text.Length > 500 ? text[..500] : text)}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (null, e is TaskCanceledException ? "no answer in time" : e.Message);
        }
    }
}
