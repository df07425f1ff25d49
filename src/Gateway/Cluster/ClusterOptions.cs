using AiPlatform.Messages;

namespace AiPlatform.Gateway.Cluster;

/// <summary>How <c>POST /api/v2/cluster/scale</c> reaches the workers: the deployment the gateway runs in decides.</summary>
public enum ClusterMode
{
    /// <summary>Not configured: nodes and resources answer, scaling is refused with <c>CLUSTER_MODE_NOT_SET</c>.</summary>
    Unset,

    /// <summary>The local fleet (eng/fleet.sh): the gateway writes a desired count its supervisor reconciles.</summary>
    Local,

    /// <summary>docker compose: the gateway cannot drive compose from inside it, so it answers the command to run.</summary>
    Compose,

    /// <summary>Kubernetes: the gateway patches the worker deployment's replicas through the API server.</summary>
    Kubernetes,
}

/// <summary>Settings under <c>Cluster:</c>.</summary>
public sealed class ClusterOptions
{
    public ClusterMode Mode { get; set; } = ClusterMode.Unset;

    /// <summary>The most workers of one kind a scale request may ask for.</summary>
    public int MaxReplicas { get; set; } = 20;

    /// <summary>Local mode: the folder of <c>&lt;kind&gt;.replicas</c> files the fleet supervisor reconciles (eng/fleet.sh sets it).</summary>
    public string? ReplicasDirectory { get; set; }

    /// <summary>
    /// Each kind's workers by name: the compose service and the Kubernetes deployment, which carry the same names in
    /// docker-compose.yml and deploy/kubernetes (the worker template with the kind's name suffix).
    /// </summary>
    public Dictionary<string, string> WorkerNames { get; set; } = new()
    {
        [WorkerKinds.Ingest] = "worker-ingest",
        [WorkerKinds.Train] = "worker-train",
        [WorkerKinds.Serve] = "worker-serve",
    };

    /// <summary>Kubernetes mode: the namespace of the worker deployments; the gateway pod's own namespace when unset.</summary>
    public string? KubernetesNamespace { get; set; }

    /// <summary>How long after its last heartbeat a silent worker is still listed (as stale) before it is forgotten.</summary>
    public TimeSpan ForgetSilentWorkersAfter { get; set; } = TimeSpan.FromMinutes(10);

    public static readonly IReadOnlyList<string> Kinds = [WorkerKinds.Ingest, WorkerKinds.Train, WorkerKinds.Serve];
}
