using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Cluster;
using k8s;
using Microsoft.Extensions.Options;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The scalers of the modes no local test can run for real: Kubernetes against a stand-in API server, compose's command.</summary>
public sealed class ClusterScalerTests
{
    private static readonly Dictionary<string, string> WorkerNames = new ClusterOptions().WorkerNames;

    [Fact]
    public async Task Kubernetes_mode_patches_the_replicas_of_the_kinds_deployment_through_its_scale_subresource()
    {
        var apiServer = new StandInApiServer(HttpStatusCode.OK,
            """{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"worker-ingest","namespace":"aiplatform"},"spec":{"replicas":3},"status":{"replicas":1}}""");
        var scaler = new KubernetesScaler(apiServer.Client(), "aiplatform", WorkerNames);

        var scaled = await scaler.ScaleAsync("ingest", 3, CancellationToken.None);

        var request = Assert.Single(apiServer.Requests);
        Assert.Equal("PATCH", request.Method);
        Assert.Equal("/apis/apps/v1/namespaces/aiplatform/deployments/worker-ingest/scale", request.Path);
        Assert.Equal("application/merge-patch+json", request.ContentType);
        Assert.Equal("""{"spec":{"replicas":3}}""", JsonNode.Parse(request.Body)!.ToJsonString());
        Assert.Equal(new ScaleView("kubernetes", "ingest", 3, "deployment aiplatform/worker-ingest"), scaled);
    }

    [Fact]
    public async Task Kubernetes_mode_reports_what_the_api_server_refused()
    {
        var apiServer = new StandInApiServer(HttpStatusCode.Forbidden,
            """{"kind":"Status","status":"Failure","message":"deployments.apps \"worker-train\" is forbidden: cannot patch resource \"deployments/scale\"","code":403}""");
        var scaler = new KubernetesScaler(apiServer.Client(), "aiplatform", WorkerNames);

        var failure = await Assert.ThrowsAsync<ScaleFailedException>(() => scaler.ScaleAsync("train", 0, CancellationToken.None));

        Assert.Contains("403", failure.Message);
        Assert.Contains("aiplatform/worker-train", failure.Message);
        Assert.Contains("cannot patch resource", failure.Message);
    }

    [Fact]
    public async Task Compose_mode_answers_the_command_that_scales_the_kinds_service()
    {
        var scaled = await new ComposeScaler(Options.Create(new ClusterOptions())).ScaleAsync("serve", 2, CancellationToken.None);
        Assert.Equal("docker compose up -d --scale worker-serve=2", scaled.Command);
        Assert.Equal("worker-serve", scaled.Target);
    }

    /// <summary>Answers every request the client sends with one canned response, and keeps what it was asked.</summary>
    private sealed class StandInApiServer(HttpStatusCode status, string body) : DelegatingHandler
    {
        public List<(string Method, string Path, string? ContentType, string Body)> Requests { get; } = [];

        public IKubernetes Client() => new Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" }, this);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add((request.Method.Method, request.RequestUri!.AbsolutePath, request.Content?.Headers.ContentType?.MediaType,
                request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken)));
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json"), RequestMessage = request };
        }
    }
}
