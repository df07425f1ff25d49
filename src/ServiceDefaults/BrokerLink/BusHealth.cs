using MassTransit;

namespace AiPlatform.ServiceDefaults.BrokerLink;

public static class BusHealth
{
    /// <summary>Null when the bus is connected and every receive endpoint consumes; otherwise what is wrong, naming the endpoints.</summary>
    public static string? ProblemOf(IBusControl bus)
    {
        var health = bus.CheckHealth();
        if (health.Status == BusHealthStatus.Healthy) return null;
        var endpoints = health.Endpoints.Where(e => e.Value.Status != BusHealthStatus.Healthy).Select(e => e.Key).ToList();
        return endpoints.Count > 0 ? $"bus {health.Status}: endpoints not consuming: {string.Join(", ", endpoints)}" : $"bus {health.Status}: {health.Description}";
    }
}
