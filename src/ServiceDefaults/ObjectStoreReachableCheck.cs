using AiPlatform.Lake.ObjectStore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiPlatform.ServiceDefaults;

/// <summary>
/// Ready only if the lake answers: a size lookup of a key that need not exist is the cheapest round trip. The store
/// is opened on first use, so a lake that is misconfigured makes the process unready instead of stopping it.
/// </summary>
public sealed class ObjectStoreReachableCheck(Func<IObjectStore> openStore) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly Lazy<IObjectStore> _store = new(openStore);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await _store.Value.SizeAsync("_readiness-probe", timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"the lake does not answer: {e.Message}");
        }
    }
}
