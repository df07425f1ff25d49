using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.Tests.Shared;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The worked example through REST: ingest Fashion-MNIST, train one epoch, serve, predict; and what goes wrong.</summary>
[Collection(PlatformCollection.Name)]
public sealed class MnistPipelineTests(PlatformFixture platform)
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Ingest_train_serve_and_predict_through_REST()
    {
        var ingest = await platform.SubmitAsync(new { type = "ingestion", name = "pipeline-ingest", script = "mnist/ingest.csx", input = FashionMnist, output = "pipeline" });
        var ingested = await platform.WaitForStatusAsync(ingest, Patience, "completed", "failed");
        Assert.True(ingested["status"]!.GetValue<string>() == "completed", ingested.ToJsonString());
        Assert.Equal(70_000, ingested["result"]!["total_records"]!.GetValue<long>());
        Assert.Equal(60_000, ingested["result"]!["train_records"]!.GetValue<long>());
        Assert.Equal(10_000, ingested["result"]!["test_records"]!.GetValue<long>());

        var dataset = await platform.Http.GetJsonAsync("/api/v1/datasets/pipeline");
        Assert.Equal(70_000, dataset["num_rows"]!.GetValue<long>());
        Assert.Equal("fixed_size_list<float32, 784>", dataset["schema"]!["image"]!.GetValue<string>());

        var train = await platform.SubmitAsync(new { type = "training", name = "pipeline-train", script = "mnist/train.csx", input = "pipeline", output = "pipeline-cnn",
            @params = new { epochs = 2, batch_size = 64, learning_rate = 0.001, seed = 1 } });
        // A dataset a running task reads cannot be deleted from under it.
        await platform.WaitForStatusAsync(train, Patience, "running");
        using (var delete = await platform.Http.DeleteAsync("/api/v1/datasets/pipeline"))
        {
            Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
            Assert.Equal("IN_USE", (await ApiErrorTests.ReadErrorAsync(delete)).Code);
        }
        var trained = await platform.WaitForStatusAsync(train, Patience, "completed", "failed");
        Assert.True(trained["status"]!.GetValue<string>() == "completed", trained.ToJsonString());
        var accuracy = trained["result"]!["test_accuracy"]!.GetValue<double>();
        Assert.True(accuracy >= 0.84, $"test accuracy after two epochs was {accuracy}");
        var epochs = (await platform.GetEventsAsync(train)).Where(e => e!["kind"]!.GetValue<string>() == "progressed")
            .Select(e => e!["data"]!["metrics"]?["epoch"]?.GetValue<int>()).OfType<int>().ToList();
        Assert.Contains(1, epochs);
        Assert.Contains(2, epochs);

        var model = await platform.Http.GetJsonAsync("/api/v1/models/pipeline-cnn");
        Assert.Equal("ReferenceCnn", model["architecture"]!.GetValue<string>());
        Assert.Equal(accuracy, model["metrics"]!["test_accuracy"]!.GetValue<double>());
        Assert.Equal("pipeline", model["lineage"]!["inputs"]![0]!["name"]!.GetValue<string>());

        var service = await platform.SubmitAsync(new { type = "inference", name = "pipeline-service", model = "pipeline-cnn", device = "cpu" });
        var running = await platform.WaitForStatusAsync(service, TimeSpan.FromSeconds(90), "running", "failed");
        Assert.Equal("running", running["status"]!.GetValue<string>());
        Assert.Equal($"/api/v1/tasks/{service}/predict", running["endpoint"]!.GetValue<string>());

        using (var duplicate = await platform.PostJsonAsync("/api/v1/tasks", new { type = "inference", name = "pipeline-service", model = "pipeline-cnn" }))
            Assert.Equal("SERVICE_ALREADY_EXISTS", (await ApiErrorTests.ReadErrorAsync(duplicate)).Code);

        var (images, labels) = TestImages(200);
        var batch = await platform.PredictAsync(service, new { images });
        var predictions = batch["predictions"]!.AsArray();
        Assert.Equal(200, predictions.Count);
        var correct = predictions.Select((p, i) => p!["prediction"]!.GetValue<int>() == labels[i]).Count(ok => ok);
        Assert.True(correct >= 150, $"{correct} of 200 predictions were right");

        // One image in each accepted form gives the same answer.
        var asFloats = await platform.PredictAsync(service, new { image = images[0] });
        var asBytes = await platform.PredictAsync(service, new { image = Convert.ToBase64String(images[0].Select(v => (byte)Math.Round(v * 255)).ToArray()) });
        var asPng = await platform.PredictAsync(service, new { image = Convert.ToBase64String(Png.Grey(28, 28, images[0].Select(v => (byte)Math.Round(v * 255)).ToArray())) });
        Assert.Equal(10, asFloats["probabilities"]!.AsArray().Count);
        Assert.Equal(1.0, asFloats["probabilities"]!.AsArray().Sum(p => p!.GetValue<double>()), 3);
        Assert.Equal(asFloats["prediction"]!.GetValue<int>(), asBytes["prediction"]!.GetValue<int>());
        Assert.Equal(asFloats["prediction"]!.GetValue<int>(), asPng["prediction"]!.GetValue<int>());

        // The weights in the lake are PyTorch's format: Python's torch predicts the same labels.
        var pythonLabels = PredictWithPython(await platform.ReadModelWeightsAsync("pipeline-cnn"), images.Take(50).ToList());
        Assert.Equal(predictions.Take(50).Select(p => p!["prediction"]!.GetValue<int>()), pythonLabels);

        foreach (var bad in new object[] { new { image = "not base64!" }, new { image = new[] { 0.5 } }, new { images = Array.Empty<int>() }, new { picture = 1 } })
        {
            using var response = await platform.PostJsonAsync($"/api/v1/tasks/{service}/predict", bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("INVALID_REQUEST", (await ApiErrorTests.ReadErrorAsync(response)).Code);
        }
        using (var notInference = await platform.PostJsonAsync($"/api/v1/tasks/{train}/predict", new { image = images[0] }))
            Assert.Equal("NOT_AN_INFERENCE_TASK", (await ApiErrorTests.ReadErrorAsync(notInference)).Code);

        using (var cancel = await platform.Http.PostAsync($"/api/v1/tasks/{service}/cancel", null))
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await platform.WaitForStatusAsync(service, TimeSpan.FromSeconds(30), "cancelled");
        using (var stopped = await platform.PostJsonAsync($"/api/v1/tasks/{service}/predict", new { image = images[0] }))
        {
            Assert.Equal(HttpStatusCode.Conflict, stopped.StatusCode);
            Assert.Equal("SERVICE_NOT_RUNNING", (await ApiErrorTests.ReadErrorAsync(stopped)).Code);
        }
        using (var missing = await platform.PostJsonAsync($"/api/v1/tasks/{Guid.NewGuid()}/predict", new { image = images[0] }))
            Assert.Equal("TASK_NOT_FOUND", (await ApiErrorTests.ReadErrorAsync(missing)).Code);
    }

    [Fact]
    public async Task An_inference_task_for_a_missing_model_is_refused_at_submit()
    {
        using var response = await platform.PostJsonAsync("/api/v1/tasks", new { type = "inference", name = "ghost-service", model = "no-such-model" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("MODEL_NOT_FOUND", (await ApiErrorTests.ReadErrorAsync(response)).Code);
        using var model = await platform.Http.GetAsync("/api/v1/models/no-such-model");
        Assert.Equal("MODEL_NOT_FOUND", (await ApiErrorTests.ReadErrorAsync(model)).Code);
        using var dataset = await platform.Http.DeleteAsync("/api/v1/datasets/no-such-dataset");
        Assert.Equal("DATASET_NOT_FOUND", (await ApiErrorTests.ReadErrorAsync(dataset)).Code);
    }

    [Fact]
    public async Task A_bad_IDX_file_fails_the_ingestion_with_a_clear_message_and_leaves_no_dataset()
    {
        var folder = Path.Combine(Path.GetTempPath(), "aiplatform-tests", "bad-idx-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(FashionMnist)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        // The test labels file announces 10,000 labels but is cut short.
        var labels = Path.Combine(folder, "t10k-labels-idx1-ubyte.gz");
        byte[] raw;
        using (var gzip = new GZipStream(File.OpenRead(labels), CompressionMode.Decompress))
        using (var memory = new MemoryStream())
        {
            gzip.CopyTo(memory);
            raw = memory.ToArray();
        }
        using (var output = new GZipStream(File.Create(labels), CompressionLevel.Fastest)) output.Write(raw, 0, 5008);

        var id = await platform.SubmitAsync(new { type = "ingestion", name = "bad-idx", script = "mnist/ingest.csx", input = folder, output = "bad-idx" });
        var task = await platform.WaitForStatusAsync(id, Patience, "failed", "completed");
        Assert.Equal("failed", task["status"]!.GetValue<string>());
        Assert.Contains("t10k-labels-idx1-ubyte is truncated", task["error"]!.GetValue<string>());
        using var dataset = await platform.Http.GetAsync("/api/v1/datasets/bad-idx");
        Assert.Equal(HttpStatusCode.NotFound, dataset.StatusCode);
        Assert.Empty(Directory.Exists(Path.Combine(platform.LakeRoot, "datasets", "bad-idx.lance", "data"))
            ? Directory.GetFiles(Path.Combine(platform.LakeRoot, "datasets", "bad-idx.lance", "data"))
            : []);
    }

    /// <summary>PyTorch's own ReferenceCnn, loading <paramref name="weights"/> strictly, labels <paramref name="images"/>.</summary>
    internal static List<int> PredictWithPython(byte[] weights, IReadOnlyList<float[]> images)
    {
        var folder = Directory.CreateTempSubdirectory("aip-python-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "weights.pt"), weights);
        File.WriteAllBytes(Path.Combine(folder, "images.f32"), images.SelectMany(i => i).SelectMany(BitConverter.GetBytes).ToArray());
        var predicted = PythonScript.Run("predict_with_torch.py", Path.Combine(folder, "weights.pt"), Path.Combine(folder, "images.f32"),
            images.Count.ToString());
        return predicted["labels"]!.AsArray().Select(l => l!.GetValue<int>()).ToList();
    }

    /// <summary>The first <paramref name="count"/> Fashion-MNIST test images (784 values in [0, 1]) and their labels.</summary>
    internal static (List<float[]> Images, int[] Labels) TestImages(int count)
    {
        static byte[] Read(string path)
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var memory = new MemoryStream();
            gzip.CopyTo(memory);
            return memory.ToArray();
        }
        var images = Read(Path.Combine(FashionMnist, "t10k-images-idx3-ubyte.gz"));
        var labels = Read(Path.Combine(FashionMnist, "t10k-labels-idx1-ubyte.gz"));
        return (Enumerable.Range(0, count).Select(i => images.AsSpan(16 + i * 784, 784).ToArray().Select(b => b / 255f).ToArray()).ToList(),
            labels.AsSpan(8, count).ToArray().Select(b => (int)b).ToArray());
    }
}
