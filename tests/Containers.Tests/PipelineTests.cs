using System.Net.Http.Json;
using AiPlatform.Fleet;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Containers.Tests;

/// <summary>The worked example through the containerised gateway, the lake and the raw data in the S3 container; then the
/// model it trained served by two serve containers.</summary>
[Collection(DeploymentCollection.Name)]
public sealed class PipelineTests(DeploymentFixture deployment, ITestOutputHelper output)
{
    [PodmanFact]
    public async Task Mnist_pipeline_runs_in_containers_with_the_lake_in_s3_and_two_serve_replicas_answer()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pipeline = DeploymentFixture.Run(TimeSpan.FromMinutes(20), "pipeline", "--epochs", "1", "--samples", "500");
        output.WriteLine($"pipeline in containers: {clock.Elapsed.TotalSeconds:0} s\n{pipeline}");
        Assert.Contains("\"total_records\":70000", pipeline);
        Assert.Contains("accuracy through the service", pipeline);

        // The dataset and the model live in the S3 container's bucket, under the lake's prefix (curl's SigV4 signs the
        // query as written: parameters sorted, the prefix's slash encoded).
        var s3 = Assert.Single(Podman.ContainersOf("minio"));
        var listing = Podman.Output("exec", s3, "bash", "-c",
            "curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user \"$S3_ACCESS_KEY:$S3_SECRET_KEY\" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' " +
            "\"http://127.0.0.1:$S3_PORT/$S3_BUCKET?list-type=2&max-keys=1000&prefix=lake%2F\"");
        Assert.Contains("<Key>lake/datasets/fashion", listing);
        Assert.Contains("<Key>lake/models/fashion-cnn", listing);

        output.WriteLine(DeploymentFixture.Run(TimeSpan.FromMinutes(10), "scale", "worker-serve=2"));
        try
        {
            var serveContainers = Podman.ContainersOf("worker-serve");
            Assert.Equal(2, serveContainers.Count);
            var service = await deployment.Http.SubmitTaskAsync(new
            {
                type = "inference", name = $"replicas-{Guid.NewGuid():N}"[..30], model = "fashion-cnn@production", device = "cpu",
            });
            await deployment.Http.WaitForStatusAsync(service, TimeSpan.FromMinutes(3), "running");

            var answeredBy = new HashSet<string>();
            var image = Enumerable.Repeat(0.5f, 784).ToArray();
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (answeredBy.Count < 2 && DateTime.UtcNow < deadline)
            {
                using var response = await deployment.Http.PostAsJsonAsync($"/api/v1/tasks/{service}/predict", new { images = new[] { image } });
                if (response.IsSuccessStatusCode) answeredBy.Add(TaskHelpers.ContainerServing(response, "worker-serve"));
                else await Task.Delay(500); // a replica still loading the model answers 503 until it is ready
            }
            output.WriteLine($"predictions answered by {string.Join(", ", answeredBy)}");
            Assert.Equal(serveContainers.Order(), answeredBy.Order());

            // The same model on the TorchSharp engine, from the runner the worker images carry: the same answer.
            var onTorchSharp = await deployment.Http.SubmitTaskAsync(new
            {
                type = "inference", name = $"torchsharp-{Guid.NewGuid():N}"[..30], model = "fashion-cnn@production", script = "mnist-torchsharp/serve.csx",
            });
            var started = await deployment.Http.WaitForStatusAsync(onTorchSharp, TimeSpan.FromMinutes(3), "running", "failed");
            Assert.True(started["status"]!.GetValue<string>() == "running", started.ToJsonString());
            var own = await PredictAsync(service, image);
            var sharp = await PredictAsync(onTorchSharp, image);
            Assert.Equal(own["predictions"]![0]!["prediction"]!.GetValue<int>(), sharp["predictions"]![0]!["prediction"]!.GetValue<int>());
            Assert.Equal(own["predictions"]![0]!["confidence"]!.GetValue<double>(), sharp["predictions"]![0]!["confidence"]!.GetValue<double>(), tolerance: 1e-4);
            foreach (var task in new[] { service, onTorchSharp })
                using (var cancel = await deployment.Http.PostAsync($"/api/v1/tasks/{task}/cancel", null)) cancel.EnsureSuccessStatusCode();
        }
        finally
        {
            DeploymentFixture.Run(TimeSpan.FromMinutes(5), "scale", "worker-serve=1");
        }
    }

    /// <summary>A prediction of <paramref name="service"/>, waiting out the 503s of a replica still loading its model.</summary>
    private async Task<System.Text.Json.Nodes.JsonNode> PredictAsync(Guid service, float[] image)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            using var response = await deployment.Http.PostAsJsonAsync($"/api/v1/tasks/{service}/predict", new { images = new[] { image } });
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode) return System.Text.Json.Nodes.JsonNode.Parse(body)!;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"service {service} answered {(int)response.StatusCode}: {body}");
            await Task.Delay(500);
        }
    }
}
