using k8s;
using k8s.Models;

namespace AiPlatform.Deployment.Tests.Kubernetes;

/// <summary>
/// The custom resources the manifests use, with the fields their CRDs define that the manifests set. The strict loader
/// rejects any other field, so a misspelt key fails the tests instead of being silently dropped by the cluster.
/// </summary>
public static class CustomResources
{
    public static readonly IReadOnlyDictionary<string, Type> TypeMap = new Dictionary<string, Type>
    {
        ["keda.sh/v1alpha1/ScaledObject"] = typeof(ScaledObject),
        ["keda.sh/v1alpha1/TriggerAuthentication"] = typeof(TriggerAuthentication),
        ["rabbitmq.com/v1beta1/RabbitmqCluster"] = typeof(RabbitmqCluster),
        ["postgresql.cnpg.io/v1/Cluster"] = typeof(CnpgCluster),
        ["rabbitmq.com/v1beta1/User"] = typeof(RabbitmqUser),
        ["rabbitmq.com/v1beta1/Permission"] = typeof(RabbitmqPermission),
    };
}

public abstract class CustomResource<TSpec> : IKubernetesObject<V1ObjectMeta> where TSpec : new()
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public V1ObjectMeta Metadata { get; set; } = new();
    public TSpec Spec { get; set; } = new();
}

public sealed class ScaledObject : CustomResource<ScaledObjectSpec>;

public sealed class ScaledObjectSpec
{
    public ScaleTarget ScaleTargetRef { get; set; } = new();
    public int? MinReplicaCount { get; set; }
    public int? MaxReplicaCount { get; set; }
    public int? PollingInterval { get; set; }
    public int? CooldownPeriod { get; set; }
    public List<ScaleTrigger> Triggers { get; set; } = [];
}

public sealed class ScaleTarget
{
    public string Name { get; set; } = "";
    public string? Kind { get; set; }
    public string? ApiVersion { get; set; }
}

public sealed class ScaleTrigger
{
    public string Type { get; set; } = "";
    public Dictionary<string, string> Metadata { get; set; } = [];
    public NamedReference? AuthenticationRef { get; set; }
}

public sealed class NamedReference
{
    public string Name { get; set; } = "";
}

public sealed class TriggerAuthentication : CustomResource<TriggerAuthenticationSpec>;

public sealed class TriggerAuthenticationSpec
{
    public List<SecretTargetRef> SecretTargetRef { get; set; } = [];
}

public sealed class SecretTargetRef
{
    public string Parameter { get; set; } = "";
    public string Name { get; set; } = "";
    public string Key { get; set; } = "";
}

public sealed class RabbitmqCluster : CustomResource<RabbitmqClusterSpec>;

public sealed class RabbitmqClusterSpec
{
    public int Replicas { get; set; }
    public string Image { get; set; } = "";
    public V1ResourceRequirements? Resources { get; set; }
    public RabbitmqPersistence? Persistence { get; set; }
    public RabbitmqConfiguration? Rabbitmq { get; set; }
}

public sealed class RabbitmqPersistence
{
    public string? StorageClassName { get; set; }
    public ResourceQuantity? Storage { get; set; }
}

public sealed class RabbitmqConfiguration
{
    public string? AdditionalConfig { get; set; }
}

public sealed class CnpgCluster : CustomResource<CnpgClusterSpec>;

public sealed class CnpgClusterSpec
{
    public int Instances { get; set; }
    public string ImageName { get; set; } = "";
    public CnpgBootstrap? Bootstrap { get; set; }
    public CnpgStorage? Storage { get; set; }
    public V1ResourceRequirements? Resources { get; set; }
}

public sealed class CnpgBootstrap
{
    public CnpgInitDb? Initdb { get; set; }
}

public sealed class CnpgInitDb
{
    public string? Database { get; set; }
    public string? Owner { get; set; }
}

public sealed class CnpgStorage
{
    public ResourceQuantity? Size { get; set; }
    public string? StorageClass { get; set; }
}

/// <summary>A broker account of the RabbitMQ Messaging Topology Operator, its credentials from a Secret.</summary>
public sealed class RabbitmqUser : CustomResource<RabbitmqUserSpec>;

public sealed class RabbitmqUserSpec
{
    public List<string> Tags { get; set; } = [];
    public NamedReference RabbitmqClusterReference { get; set; } = new();
    public NamedReference ImportCredentialsSecret { get; set; } = new();
}

public sealed class RabbitmqPermission : CustomResource<RabbitmqPermissionSpec>;

public sealed class RabbitmqPermissionSpec
{
    public string Vhost { get; set; } = "";
    public NamedReference UserReference { get; set; } = new();
    public RabbitmqRights Permissions { get; set; } = new();
    public NamedReference RabbitmqClusterReference { get; set; } = new();
}

public sealed class RabbitmqRights
{
    public string Configure { get; set; } = "";
    public string Write { get; set; } = "";
    public string Read { get; set; } = "";
}
