namespace AiPlatform.Gateway.Cluster;

/// <summary>Sets how many workers of a kind should run, the way the deployment the gateway runs in does it (<c>Cluster:Mode</c>).</summary>
public interface IWorkerScaler
{
    /// <summary><paramref name="kind"/> and <paramref name="replicas"/> are validated already.</summary>
    Task<ScaleView> ScaleAsync(string kind, int replicas, CancellationToken ct);
}
