using System.Diagnostics;
using AiPlatform.Fleet;
using k8s;
using k8s.Models;

namespace AiPlatform.Deployment.Tests.Kubernetes;

/// <summary>One kustomization under deploy/kubernetes, rendered by <c>kubectl kustomize</c> and loaded as typed objects.</summary>
public sealed class RenderedKustomization
{
    public static readonly string ManifestsRoot = Path.Combine(RepoPaths.Root, "deploy", "kubernetes");

    private static readonly Dictionary<string, Lazy<RenderedKustomization>> Cache = Directories()
        .ToDictionary(d => d, d => new Lazy<RenderedKustomization>(() => Render(d)));

    private RenderedKustomization(string directory, IReadOnlyList<object> objects)
    {
        Directory = directory;
        Objects = objects;
    }

    /// <summary>Relative to deploy/kubernetes, e.g. "overlays/dev".</summary>
    public string Directory { get; }

    public IReadOnlyList<object> Objects { get; }

    public IEnumerable<T> OfType<T>() => Objects.OfType<T>();

    /// <summary>Every kustomization (not components, which only make sense inside one) below deploy/kubernetes.</summary>
    public static IEnumerable<string> Directories() =>
        System.IO.Directory.EnumerateFiles(ManifestsRoot, "kustomization.yaml", SearchOption.AllDirectories)
            .Where(file => !File.ReadAllText(file).Contains("kind: Component"))
            .Select(file => Path.GetRelativePath(ManifestsRoot, Path.GetDirectoryName(file)!))
            .Order(StringComparer.Ordinal);

    /// <summary>The overlays users apply: every one is a complete deployment.</summary>
    public static IEnumerable<string> Overlays() => Directories().Where(d => d.StartsWith("overlays/", StringComparison.Ordinal));

    public static RenderedKustomization Get(string directory) => Cache[directory].Value;

    public static string RenderYaml(string directory)
    {
        var info = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("kustomize");
        info.ArgumentList.Add(Path.Combine(ManifestsRoot, directory));
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var yaml = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"kubectl kustomize {directory} failed: {errors.Result}");
        return yaml;
    }

    public static List<object> LoadStrict(string yaml) =>
        KubernetesYaml.LoadAllFromString(yaml, new Dictionary<string, Type>(CustomResources.TypeMap), strict: true);

    private static RenderedKustomization Render(string directory) => new(directory, LoadStrict(RenderYaml(directory)));

    /// <summary>Every pod template of the rendered objects, named after its owner.</summary>
    public IEnumerable<(string Owner, V1PodSpec Pod, IDictionary<string, string> Labels)> PodTemplates()
    {
        foreach (var deployment in OfType<V1Deployment>())
            yield return ($"Deployment/{deployment.Metadata.Name}", deployment.Spec.Template.Spec, deployment.Spec.Template.Metadata.Labels);
        foreach (var statefulSet in OfType<V1StatefulSet>())
            yield return ($"StatefulSet/{statefulSet.Metadata.Name}", statefulSet.Spec.Template.Spec, statefulSet.Spec.Template.Metadata.Labels);
        foreach (var job in OfType<V1Job>())
            yield return ($"Job/{job.Metadata.Name}", job.Spec.Template.Spec, job.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>());
    }

    public IEnumerable<IMetadata<V1ObjectMeta>> Metadata() => Objects.OfType<IMetadata<V1ObjectMeta>>();
}
