using k8s;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Cluster;

public static class ClusterExtensions
{
    /// <summary>The cluster API's parts: the node view every gateway keeps from heartbeats, and the scaler <c>Cluster:Mode</c> picks.</summary>
    public static WebApplicationBuilder AddCluster(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection("Cluster");
        services.AddOptions<ClusterOptions>().Bind(section)
            .Validate(o => o.Mode != ClusterMode.Local || !string.IsNullOrWhiteSpace(o.ReplicasDirectory),
                "Cluster:Mode is local but Cluster:ReplicasDirectory (the fleet supervisor's desired-count folder) is not set")
            .Validate(o => ClusterOptions.Kinds.All(o.WorkerNames.ContainsKey), "Cluster:WorkerNames must name the workers of every kind")
            .Validate(o => o.MaxReplicas >= 0, "Cluster:MaxReplicas must not be negative")
            .ValidateOnStart();
        services.AddSingleton<ClusterNodes>();
        services.AddSingleton<ClusterResources>();
        services.AddHostedService<ClusterNodeSubscription>();

        switch (section.GetValue<ClusterMode?>("Mode") ?? ClusterMode.Unset)
        {
            case ClusterMode.Local:
                services.AddSingleton<IWorkerScaler, LocalFleetScaler>();
                break;
            case ClusterMode.Compose:
                services.AddSingleton<IWorkerScaler, ComposeScaler>();
                break;
            case ClusterMode.Kubernetes:
                services.AddSingleton<IWorkerScaler>(sp =>
                {
                    var options = sp.GetRequiredService<IOptions<ClusterOptions>>().Value;
                    // In a pod: its service account and namespace; elsewhere (an operator's machine): the kubeconfig.
                    var config = KubernetesClientConfiguration.IsInCluster()
                        ? KubernetesClientConfiguration.InClusterConfig()
                        : KubernetesClientConfiguration.BuildConfigFromConfigFile();
                    return new KubernetesScaler(new Kubernetes(config), options.KubernetesNamespace ?? config.Namespace ?? "default", options.WorkerNames);
                });
                break;
        }
        return builder;
    }
}
