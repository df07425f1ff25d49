using k8s;
using k8s.Models;

namespace AiPlatform.Gateway.Cluster;

/// <summary>
/// Kubernetes: a merge patch of <c>spec.replicas</c> through the deployment's scale subresource, so the gateway's
/// service account needs only <c>patch</c> on <c>deployments/scale</c>, not the right to rewrite whole deployments.
/// </summary>
public sealed class KubernetesScaler(IKubernetes client, string @namespace, IReadOnlyDictionary<string, string> deployments) : IWorkerScaler
{
    public async Task<ScaleView> ScaleAsync(string kind, int replicas, CancellationToken ct)
    {
        var deployment = deployments[kind];
        var patch = new V1Patch(new { spec = new { replicas } }, V1Patch.PatchType.MergePatch);
        try
        {
            await client.AppsV1.PatchNamespacedDeploymentScaleAsync(patch, deployment, @namespace, cancellationToken: ct);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            throw new ScaleFailedException(
                $"the Kubernetes API answered {(int)e.Response.StatusCode} to scaling deployment {@namespace}/{deployment}: {Shorten(e.Response.Content)}");
        }
        catch (HttpRequestException e)
        {
            throw new ScaleFailedException($"the Kubernetes API could not be reached to scale deployment {@namespace}/{deployment}: {e.Message}");
        }
        return new ScaleView("kubernetes", kind, replicas, $"deployment {@namespace}/{deployment}");
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 500 ? text : text[..500] + "...";
}

/// <summary>The orchestrator refused or could not be reached; the API answers 502 <c>SCALE_FAILED</c> with its reason.</summary>
public sealed class ScaleFailedException(string message) : Exception(message);
