using System.Text.RegularExpressions;
using AiPlatform.Messages;
using k8s.Models;
using Xunit;
using YamlDotNet.Core;

namespace AiPlatform.Deployment.Tests.Kubernetes;

/// <summary>
/// deploy/kubernetes as a cluster would receive it: every kustomization rendered by kubectl's kustomize and every
/// object loaded with the Kubernetes client's strict YAML loader (unknown fields fail), then checked for what an
/// operator relies on.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    public static TheoryData<string> Kustomizations() => [.. RenderedKustomization.Directories()];

    public static TheoryData<string> Overlays() => [.. RenderedKustomization.Overlays()];

    /// <summary>The Secrets the manifests may reference; deploy/kubernetes/README.md says how each is created.</summary>
    private static readonly string[] ReferencedSecrets =
    [
        "aiplatform-rabbitmq-default-user", "aiplatform-rabbitmq-gateway", "aiplatform-rabbitmq-ingest", "aiplatform-rabbitmq-train",
        "aiplatform-rabbitmq-serve", "aiplatform-rabbitmq-scaler", "aiplatform-postgres-app", "aiplatform-s3",
    ];

    /// <summary>The worker template's broker account before a kind's kustomization names its own.</summary>
    private const string TemplateBrokerSecret = "aiplatform-rabbitmq-worker";

    [Fact]
    public void Base_dev_prod_and_a_tenant_overlay_exist()
    {
        Assert.Equal(["base", "overlays/dev", "overlays/prod", "overlays/tenant-acme"],
            RenderedKustomization.Directories().Where(d => !d.StartsWith("base/", StringComparison.Ordinal)));
    }

    [Theory, MemberData(nameof(Kustomizations))]
    public void Kustomization_renders_and_every_object_loads_strictly(string directory)
    {
        var rendered = RenderedKustomization.Get(directory);
        Assert.NotEmpty(rendered.Objects);
        Assert.All(rendered.Metadata(), o => Assert.False(string.IsNullOrEmpty(o.Metadata.Name)));
    }

    [Fact]
    public void The_strict_loader_rejects_a_misspelt_field()
    {
        const string misspelt = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: gateway
            spec:
              replica: 2
            """;
        Assert.ThrowsAny<YamlException>(() => RenderedKustomization.LoadStrict(misspelt));
        const string misspeltCustomResource = """
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata:
              name: worker-train
            spec:
              scaleTargetRef:
                name: worker-train
              minReplicas: 0
            """;
        Assert.ThrowsAny<YamlException>(() => RenderedKustomization.LoadStrict(misspeltCustomResource));
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Every_image_is_pinned_to_a_version(string overlay)
    {
        var rendered = RenderedKustomization.Get(overlay);
        var images = rendered.PodTemplates()
            .SelectMany(t => (t.Pod.InitContainers ?? []).Concat(t.Pod.Containers).Select(c => (t.Owner, c.Image)))
            .Concat(rendered.OfType<RabbitmqCluster>().Select(c => ($"RabbitmqCluster/{c.Metadata.Name}", c.Spec.Image)))
            .Concat(rendered.OfType<CnpgCluster>().Select(c => ($"Cluster/{c.Metadata.Name}", c.Spec.ImageName)))
            .ToList();
        Assert.NotEmpty(images);
        Assert.All(images, image => Assert.True(PinnedImage().IsMatch(image.Item2 ?? ""), $"{image.Item1}: image '{image.Item2}' is not pinned to a version"));
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Every_container_has_requests_limits_and_long_running_ones_have_probes(string overlay)
    {
        foreach (var (owner, pod, _) in RenderedKustomization.Get(overlay).PodTemplates())
        foreach (var container in pod.Containers)
        {
            var where = $"{owner} container {container.Name}";
            foreach (var resource in new[] { "cpu", "memory" })
            {
                Assert.True(container.Resources?.Limits?.ContainsKey(resource) == true, $"{where} has no {resource} limit");
                Assert.True(container.Resources?.Requests?.ContainsKey(resource) == true, $"{where} has no {resource} request");
            }
            if (owner.StartsWith("Job/", StringComparison.Ordinal)) continue;
            Assert.True(container.ReadinessProbe is not null, $"{where} has no readiness probe");
            Assert.True(container.LivenessProbe is not null, $"{where} has no liveness probe");
            foreach (var probe in new[] { container.ReadinessProbe!, container.LivenessProbe! }.Where(p => p.HttpGet is not null))
                Assert.Contains(container.Ports, port => port.Name == probe.HttpGet.Port.Value || port.ContainerPort.ToString() == probe.HttpGet.Port.Value);
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Platform_processes_probe_readyz_for_readiness_and_healthz_for_liveness(string overlay)
    {
        var platform = RenderedKustomization.Get(overlay).OfType<V1Deployment>().ToList();
        Assert.Equal(["gateway", "worker-ingest", "worker-serve", "worker-train"], platform.Select(d => d.Metadata.Name).Order());
        foreach (var container in platform.SelectMany(d => d.Spec.Template.Spec.Containers))
        {
            Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Workers_get_longer_to_stop_than_their_host_takes_to_release_tasks(string overlay)
    {
        foreach (var worker in RenderedKustomization.Get(overlay).OfType<V1Deployment>().Where(d => d.Metadata.Name.StartsWith("worker-", StringComparison.Ordinal)))
        {
            var container = worker.Spec.Template.Spec.Containers.Single();
            var hostTimeout = TimeSpan.Parse(container.Env.Single(e => e.Name == "HostOptions__ShutdownTimeout").Value);
            Assert.True(worker.Spec.Template.Spec.TerminationGracePeriodSeconds > hostTimeout.TotalSeconds, worker.Metadata.Name);
            Assert.True(worker.Spec.Replicas is null, $"{worker.Metadata.Name} sets replicas, which KEDA owns");
            var httpPort = container.Env.Single(e => e.Name == "Worker__HttpPort").Value;
            Assert.Contains(container.Ports, p => p.ContainerPort.ToString() == httpPort);
            Assert.Equal("0.0.0.0", container.Env.Single(e => e.Name == "Worker__HttpHost").Value);
        }
    }

    [Theory, MemberData(nameof(Kustomizations))]
    public void Secrets_are_referenced_never_inlined(string directory)
    {
        var rendered = RenderedKustomization.Get(directory);
        Assert.Empty(rendered.OfType<V1Secret>());
        var readme = File.ReadAllText(Path.Combine(RenderedKustomization.ManifestsRoot, "README.md"));
        var containers = rendered.PodTemplates().SelectMany(t => (t.Pod.InitContainers ?? []).Concat(t.Pod.Containers).Select(c => (t.Owner, c)));
        foreach (var (owner, container) in containers)
        foreach (var variable in container.Env ?? [])
        {
            if (variable.ValueFrom?.SecretKeyRef is { } secret)
            {
                if (directory == "base/workers/template" && secret.Name == TemplateBrokerSecret) continue;
                Assert.Contains(secret.Name, ReferencedSecrets);
                Assert.Contains(secret.Name, readme);
            }
            else if (variable.Value is { } value)
            {
                Assert.False(SecretLikeName().IsMatch(variable.Name), $"{owner}: {variable.Name} is a literal value");
                // A connection string may carry a password only as a reference to a variable filled from a Secret.
                var password = PasswordInValue().Match(value);
                Assert.True(!password.Success || password.Groups[1].Value.StartsWith("$(", StringComparison.Ordinal), $"{owner}: {variable.Name} inlines a password");
            }
        }
        foreach (var config in rendered.OfType<V1ConfigMap>())
            Assert.DoesNotContain(config.Data?.Keys ?? [], key => SecretLikeName().IsMatch(key));
        // KEDA reads queue depths with its own account, never the administrator's.
        foreach (var authentication in rendered.OfType<TriggerAuthentication>())
            Assert.All(authentication.Spec.SecretTargetRef, target => Assert.Equal("aiplatform-rabbitmq-scaler", target.Name));
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Every_scaled_object_targets_a_worker_deployment_and_its_real_queue(string overlay)
    {
        var rendered = RenderedKustomization.Get(overlay);
        var expectedQueue = new Dictionary<string, string>
        {
            ["worker-ingest"] = QueueNames.Ingest,
            ["worker-train"] = QueueNames.Train,
            ["worker-serve"] = QueueNames.Predictions,
        };
        var scaledObjects = rendered.OfType<ScaledObject>().ToList();
        Assert.Equal(expectedQueue.Keys.Order(), scaledObjects.Select(s => s.Spec.ScaleTargetRef.Name).Order());
        var deployments = rendered.OfType<V1Deployment>().Select(d => d.Metadata.Name).ToHashSet();
        var authentications = rendered.OfType<TriggerAuthentication>().Select(a => a.Metadata.Name).ToHashSet();
        foreach (var scaled in scaledObjects)
        {
            var target = scaled.Spec.ScaleTargetRef.Name;
            Assert.Contains(target, deployments);
            var trigger = Assert.Single(scaled.Spec.Triggers);
            Assert.Equal("rabbitmq", trigger.Type);
            Assert.Equal(expectedQueue[target], trigger.Metadata["queueName"]);
            Assert.Equal("QueueLength", trigger.Metadata["mode"]);
            // Through the management API the length includes unacknowledged messages, i.e. the tasks running now.
            Assert.Equal("http", trigger.Metadata["protocol"]);
            Assert.Contains(trigger.AuthenticationRef!.Name, authentications);
        }
        Assert.Equal(0, scaledObjects.Single(s => s.Spec.ScaleTargetRef.Name == "worker-train").Spec.MinReplicaCount);
        Assert.Equal(0, scaledObjects.Single(s => s.Spec.ScaleTargetRef.Name == "worker-ingest").Spec.MinReplicaCount);
        Assert.True(scaledObjects.Single(s => s.Spec.ScaleTargetRef.Name == "worker-serve").Spec.MinReplicaCount >= 1);
    }

    [Theory, MemberData(nameof(Overlays))]
    public void The_gateway_may_scale_the_worker_deployments_and_nothing_else_and_only_the_gateway_gets_a_token(string overlay)
    {
        var rendered = RenderedKustomization.Get(overlay);
        var gateway = rendered.OfType<V1Deployment>().Single(d => d.Metadata.Name == "gateway").Spec.Template.Spec;
        Assert.Equal("kubernetes", gateway.Containers.Single().Env.Single(e => e.Name == "Cluster__Mode").Value);
        var binding = rendered.OfType<V1RoleBinding>().Single(b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == gateway.ServiceAccountName));
        var role = rendered.OfType<V1Role>().Single(r => r.Metadata.Name == binding.RoleRef.Name);
        var rule = Assert.Single(role.Rules);
        Assert.Equal(["deployments/scale"], rule.Resources);
        Assert.Equal(["get", "patch"], rule.Verbs.Order());
        var workers = rendered.OfType<V1Deployment>().Select(d => d.Metadata.Name).Where(n => n.StartsWith("worker-", StringComparison.Ordinal));
        Assert.Equal(workers.Order(), rule.ResourceNames.Order());
        Assert.Contains(rendered.OfType<V1ServiceAccount>(), a => a.Metadata.Name == gateway.ServiceAccountName);
        Assert.All(rendered.PodTemplates().Where(p => p.Owner != "Deployment/gateway"), p => Assert.False(p.Pod.AutomountServiceAccountToken ?? true, p.Owner));
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Selectors_of_services_budgets_and_autoscalers_find_their_pods(string overlay)
    {
        var rendered = RenderedKustomization.Get(overlay);
        var podLabels = rendered.PodTemplates().Select(t => t.Labels).ToList();
        bool Selects(IDictionary<string, string> selector) =>
            podLabels.Any(labels => selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value));

        foreach (var service in rendered.OfType<V1Service>())
            Assert.True(Selects(service.Spec.Selector), $"Service/{service.Metadata.Name} selects no pod");
        foreach (var budget in rendered.OfType<V1PodDisruptionBudget>())
            Assert.True(budget.Metadata.Name == "aiplatform-rabbitmq" || Selects(budget.Spec.Selector.MatchLabels),
                $"PodDisruptionBudget/{budget.Metadata.Name} selects no pod");
        var deployments = rendered.OfType<V1Deployment>().Select(d => d.Metadata.Name).ToHashSet();
        foreach (var autoscaler in rendered.OfType<V2HorizontalPodAutoscaler>())
            Assert.Contains(autoscaler.Spec.ScaleTargetRef.Name, deployments);
        Assert.Contains(rendered.OfType<V2HorizontalPodAutoscaler>(), h => h.Spec.ScaleTargetRef.Name == "gateway");
        foreach (var name in deployments)
            Assert.Contains(rendered.OfType<V1PodDisruptionBudget>(), b => b.Metadata.Name == name);
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Each_overlay_is_one_namespace_that_denies_ingress_by_default(string overlay)
    {
        var rendered = RenderedKustomization.Get(overlay);
        var ns = Assert.Single(rendered.OfType<V1Namespace>()).Metadata.Name;
        Assert.All(rendered.Metadata().Where(o => o is not V1Namespace), o => Assert.Equal(ns, o.Metadata.NamespaceProperty));
        Assert.Contains(rendered.OfType<V1NetworkPolicy>(), p =>
            p.Spec.PodSelector.MatchLabels is null && p.Spec.PolicyTypes.Contains("Ingress") && p.Spec.Ingress is null);
    }

    [Fact]
    public void Dev_runs_the_services_as_stateful_sets_and_prod_asks_their_operators()
    {
        var dev = RenderedKustomization.Get("overlays/dev");
        Assert.Equal(["aiplatform-minio", "aiplatform-postgres", "aiplatform-rabbitmq"], dev.OfType<V1StatefulSet>().Select(s => s.Metadata.Name).Order());
        Assert.Empty(dev.OfType<RabbitmqCluster>());

        var prod = RenderedKustomization.Get("overlays/prod");
        Assert.Empty(prod.OfType<V1StatefulSet>());
        Assert.Equal("aiplatform-rabbitmq", Assert.Single(prod.OfType<RabbitmqCluster>()).Metadata.Name);
        var postgres = Assert.Single(prod.OfType<CnpgCluster>());
        Assert.Equal("aiplatform", postgres.Spec.Bootstrap!.Initdb!.Database);
        // The platform reads the Secret and Service CloudNativePG derives from the cluster's name.
        Assert.Equal($"{postgres.Metadata.Name}-rw", prod.OfType<V1ConfigMap>().Single(c => c.Metadata.Name.StartsWith("aiplatform-settings")).Data["POSTGRES_HOST"]);
    }

    [Theory, MemberData(nameof(Overlays))]
    public void The_gateway_and_each_worker_kind_reach_the_broker_with_their_own_account(string overlay)
    {
        var rendered = RenderedKustomization.Get(overlay);
        var roles = new Dictionary<string, string> { ["gateway"] = "gateway", ["worker-ingest"] = "ingest", ["worker-train"] = "train", ["worker-serve"] = "serve" };
        Assert.Equal(roles.Keys.Order(), rendered.OfType<V1Deployment>().Select(d => d.Metadata.Name).Where(roles.ContainsKey).Order());
        foreach (var deployment in rendered.OfType<V1Deployment>().Where(d => roles.ContainsKey(d.Metadata.Name)))
        {
            var env = deployment.Spec.Template.Spec.Containers[0].Env.ToDictionary(e => e.Name);
            foreach (var variable in new[] { "RabbitMq__Username", "RabbitMq__Password" })
                Assert.Equal($"aiplatform-rabbitmq-{roles[deployment.Metadata.Name]}", env[variable].ValueFrom.SecretKeyRef.Name);
        }
    }

    /// <summary>A digest, a tag with at least major.minor, or MinIO's dated release tags.</summary>
    [GeneratedRegex(@"(@sha256:[0-9a-f]{64}|:(?!latest$)[A-Za-z0-9_.-]*\d+\.\d+[A-Za-z0-9_.-]*|:RELEASE\.\d{4}-\d\d-\d\dT[0-9Z-]+)$")]
    private static partial Regex PinnedImage();

    [GeneratedRegex(@"(PASSWORD|PASS|SECRET|SECRETKEY|ACCESSKEY|TOKEN)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeName();

    [GeneratedRegex(@"Password=([^;]*)", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordInValue();
}
