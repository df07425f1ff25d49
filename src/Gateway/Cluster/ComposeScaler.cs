using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Cluster;

/// <summary>
/// docker compose: scaling is the compose CLI's, on the host, and a gateway inside a container has neither it nor the
/// Docker socket (nor should it: that socket is root on the host). So it answers the command to run.
/// </summary>
public sealed class ComposeScaler(IOptions<ClusterOptions> options) : IWorkerScaler
{
    public Task<ScaleView> ScaleAsync(string kind, int replicas, CancellationToken ct)
    {
        var service = options.Value.WorkerNames[kind];
        return Task.FromResult(new ScaleView("compose", kind, replicas, service, $"docker compose up -d --scale {service}={replicas}"));
    }
}
