using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.ScriptRunner;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// TorchSharp-cpu as a second engine: a script that says <c>// engine: torchsharp</c> trains and serves through the
/// same REST path, and its weights are the own engine's and PyTorch's to load, and theirs are its.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class TorchSharpEngineTests(PlatformFixture platform)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_model_trained_on_TorchSharp_serves_on_the_own_engine_and_loads_in_PyTorch_and_back()
    {
        var ingest = await platform.SubmitAsync(new { type = "ingestion", name = "ts-ingest", script = "mnist/ingest.csx",
            input = "/usr/share/datasets/fashion-mnist", output = "ts-fashion", @params = new { max_per_split = 3000 } });
        var ingested = await platform.WaitForStatusAsync(ingest, Patience, "completed", "failed");
        Assert.True(ingested["status"]!.GetValue<string>() == "completed", ingested.ToJsonString());

        var sharpTrained = await TrainAsync("mnist-torchsharp/train.csx", "ts-cnn");
        Assert.Equal("torchsharp", sharpTrained["result"]!["engine"]!.GetValue<string>());
        var accuracy = sharpTrained["result"]!["test_accuracy"]!.GetValue<double>();
        Assert.True(accuracy >= 0.7, $"test accuracy after two epochs on 3,000 images was {accuracy}");
        var logs = (await platform.GetEventsAsync(sharpTrained["id"]!.GetValue<Guid>()))
            .Select(e => e!["data"]?["message"]?.GetValue<string>()).OfType<string>().ToList();
        Assert.Contains(logs, m => m.Contains("TorchSharp 2.10", StringComparison.Ordinal));
        var epochs = (await platform.GetEventsAsync(sharpTrained["id"]!.GetValue<Guid>())).Where(e => e!["kind"]!.GetValue<string>() == "progressed")
            .Select(e => e!["data"]!["metrics"]?["epoch"]?.GetValue<int>()).OfType<int>().ToList();
        Assert.Equal([1, 2], epochs);

        var (images, _) = MnistPipelineTests.TestImages(200);
        var python = MnistPipelineTests.PredictWithPython(await platform.ReadModelWeightsAsync("ts-cnn"), images);
        var onOwnEngine = await ServeAndPredictAsync("mnist/serve.csx", "ts-cnn", images);
        var onTorchSharp = await ServeAndPredictAsync("mnist-torchsharp/serve.csx", "ts-cnn", images);
        AssertSamePredictions(python, onOwnEngine);
        AssertSamePredictions(python, onTorchSharp);
        // The same weights on two engines: the same probabilities, not only the same labels.
        for (var i = 0; i < images.Count; i++)
            for (var c = 0; c < 10; c++)
                Assert.Equal(onOwnEngine[i]["probabilities"]![c]!.GetValue<double>(), onTorchSharp[i]["probabilities"]![c]!.GetValue<double>(), tolerance: 1e-4);

        // And the other way: a model the own engine trained serves on TorchSharp.
        await TrainAsync("mnist/train.csx", "ts-own-cnn");
        var ownWeightsOnTorchSharp = await ServeAndPredictAsync("mnist-torchsharp/serve.csx", "ts-own-cnn", images);
        AssertSamePredictions(MnistPipelineTests.PredictWithPython(await platform.ReadModelWeightsAsync("ts-own-cnn"), images), ownWeightsOnTorchSharp);
    }

    [Fact]
    public async Task A_TorchSharp_script_runs_in_a_process_holding_only_LibTorch_2_10()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = "ts-libraries", script = "torchsharp_libraries.csx",
            input = "/usr/share/datasets/fashion-mnist", output = "ts-libraries" });
        var task = await platform.WaitForStatusAsync(id, Patience, "completed", "failed");
        Assert.True(task["status"]!.GetValue<string>() == "completed", task.ToJsonString());
        Assert.StartsWith("2.10", task["result"]!["version"]!.GetValue<string>());
        var libraries = task["result"]!["libraries"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
        Assert.Contains(libraries, l => Path.GetFileName(l) == "libtorch_cpu.so");
        // Every libtorch mapped is TorchSharp's, beside the runner: none of Debian's (the own engine's).
        var runnerFolder = Path.GetDirectoryName(AiPlatform.Fleet.RepoPaths.TorchSharpRunner)!;
        Assert.All(libraries, l => Assert.Equal(runnerFolder, Path.GetDirectoryName(l)));
    }

    [Fact]
    public async Task A_script_naming_an_engine_that_does_not_exist_fails_saying_which_exist()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = "ts-unknown-engine", script = "unknown_engine.csx", input = "/usr/share/datasets/fashion-mnist", output = "ts-unknown-engine" });
        var task = await platform.WaitForStatusAsync(id, Patience, "failed", "completed");
        Assert.Equal("failed", task["status"]!.GetValue<string>());
        Assert.Contains("engine 'tensorflow', which does not exist: the engines are own (the default) and torchsharp", task["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("// engine: torchsharp\nobject Run() => 1;", ScriptEngine.TorchSharp)]
    [InlineData("// Trains a model.\n\n// Engine: TorchSharp\n#load \"x.csx\"", ScriptEngine.TorchSharp)]
    [InlineData("// engine: own\n", ScriptEngine.Own)]
    [InlineData("object Run() => 1;\n// engine: torchsharp", ScriptEngine.Own)]
    [InlineData("", ScriptEngine.Own)]
    public void The_engine_directive_is_read_from_the_comments_a_script_starts_with(string source, ScriptEngine engine) =>
        Assert.Equal(engine, ScriptEngines.Of(source));

    private async Task<JsonNode> TrainAsync(string script, string model)
    {
        var id = await platform.SubmitAsync(new { type = "training", name = $"train-{model}", script, input = "ts-fashion", output = model,
            @params = new { epochs = 2, batch_size = 64, learning_rate = 0.001, seed = 1 } });
        var trained = await platform.WaitForStatusAsync(id, Patience, "completed", "failed");
        Assert.True(trained["status"]!.GetValue<string>() == "completed", trained.ToJsonString());
        return trained;
    }

    /// <summary>Starts a service on <paramref name="model"/> with <paramref name="script"/>, predicts the images in one request, stops it.</summary>
    private async Task<List<JsonNode>> ServeAndPredictAsync(string script, string model, IReadOnlyList<float[]> images)
    {
        var service = await platform.SubmitAsync(new { type = "inference", name = $"serve-{model}-{Path.GetDirectoryName(script)}", script, model });
        var running = await platform.WaitForStatusAsync(service, TimeSpan.FromSeconds(90), "running", "failed");
        Assert.True(running["status"]!.GetValue<string>() == "running", running.ToJsonString());
        try
        {
            var answer = await platform.PredictAsync(service, new { images });
            return answer["predictions"]!.AsArray().Select(p => p!).ToList();
        }
        finally
        {
            await platform.Http.PostAsync($"/api/v1/tasks/{service}/cancel", null);
        }
    }

    private static void AssertSamePredictions(List<int> expected, List<JsonNode> predictions) =>
        Assert.Equal(expected, predictions.Select(p => p["prediction"]!.GetValue<int>()).ToList());
}
