using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Cluster;

/// <summary>
/// The local fleet: writes the desired count to <c>&lt;ReplicasDirectory&gt;/&lt;kind&gt;.replicas</c>, which the
/// supervisor of eng/fleet.sh reconciles within a second (it starts workers, or stops the surplus with SIGTERM).
/// The gateway never starts or signals processes itself: the supervisor owns them, and restarts them, already.
/// </summary>
public sealed class LocalFleetScaler(IOptions<ClusterOptions> options) : IWorkerScaler
{
    public async Task<ScaleView> ScaleAsync(string kind, int replicas, CancellationToken ct)
    {
        var directory = options.Value.ReplicasDirectory!;
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, $"{kind}.replicas");
        // Written aside and renamed into place, so the supervisor never reads half a number.
        var temporary = $"{target}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllTextAsync(temporary, $"{replicas}\n", ct);
        File.Move(temporary, target, overwrite: true);
        return new ScaleView("local", kind, replicas, target);
    }
}
