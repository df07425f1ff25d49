using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.Tests.Shared;
using Xunit;
using static AiPlatform.Platform.Tests.PipelinesApi;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// The text example (scripts/text) through its templates at a small size for two cores: a character-level transformer
/// pretrained on a few of Debian's fortune files, fine-tuned from its base alias on another, served, and asked to
/// continue prompts; its weights load in PyTorch and generate there what the service generates.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class TextPipelineTests(PlatformFixture platform)
{
    /// <summary>Mean nats per byte of a model that learned nothing: every byte equally likely.</summary>
    private static readonly double Untrained = Math.Log(256);

    [Fact]
    public async Task Pretrain_then_finetune_from_the_base_alias_serves_text_that_PyTorch_generates_too()
    {
        var (model, tuned, service) = (Unique("lm"), Unique("lm-tuned"), Unique("lm-svc"));
        var pretrained = await platform.RunTemplateAsync("pretrain", new JsonObject
        {
            ["files"] = "goedel,debian,fortunes", ["dataset"] = Unique("lm-corpus"), ["model"] = model,
            ["epochs"] = 2, ["steps_per_epoch"] = 100, ["learning_rate"] = 0.003, ["context"] = 32, ["width"] = 32, ["layers"] = 1, ["heads"] = 2,
        });
        var ingested = Step(pretrained, "ingest")["result"]!;
        Assert.Equal(["goedel", "debian", "fortunes"], ingested["files"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.True(ingested["test_texts"]!.GetValue<int>() > 0 && ingested["train_texts"]!.GetValue<int>() > ingested["test_texts"]!.GetValue<int>(),
            ingested.ToJsonString());
        var pretrainLoss = Step(pretrained, "pretrain")["result"]!["test_loss"]!.GetValue<double>();
        Assert.True(pretrainLoss < Untrained - 1, $"pretraining left the test loss at {pretrainLoss} nats per byte");
        Assert.Equal(Step(pretrained, "pretrain")["result"]!["model_version"]!.GetValue<string>(), Step(pretrained, "base")["result"]!["version"]!.GetValue<string>());

        var finetuned = await platform.RunTemplateAsync("finetune", new JsonObject
        {
            ["files"] = "science", ["dataset"] = Unique("lm-subset"), ["base_model"] = $"{model}@base", ["model"] = tuned, ["service"] = service,
            ["epochs"] = 1, ["steps_per_epoch"] = 60,
        });
        // Fine-tuning started from the base's weights (a fresh model would score about ln 256 before training) and
        // improved on them, so the new version was promoted and is served.
        var result = Step(finetuned, "finetune")["result"]!;
        var (before, after) = (result["base_test_loss"]!.GetValue<double>(), result["test_loss"]!.GetValue<double>());
        Assert.True(before < Untrained - 1, $"the fine-tuning started from a test loss of {before}: not from the pretrained weights");
        Assert.True(after < before, $"fine-tuning took the test loss from {before} to {after}");
        var version = result["model_version"]!.GetValue<string>();
        Assert.Equal(version, Step(finetuned, "promote")["result"]!["version"]!.GetValue<string>());
        var registered = await platform.Http.GetJsonAsync($"/api/v1/models/{tuned}/versions/{version}");
        Assert.Contains(registered["lineage"]!.AsArray(), l => l!["relation"]!.GetValue<string>() == "parent" && l["name"]!.GetValue<string>() == model);
        Assert.Equal(32, registered["params"]!["width"]!.GetValue<int>());

        var serviceId = Step(finetuned, "deploy")["result"]!["task_id"]!.GetValue<Guid>();
        var seeded = new { prompt = "The ", max_tokens = 40, temperature = 0.8, seed = 5 };
        var first = await platform.PredictAsync(serviceId, seeded);
        Assert.StartsWith("The ", first["text"]!.GetValue<string>());
        Assert.Equal("The " + first["completion"]!.GetValue<string>(), first["text"]!.GetValue<string>());
        Assert.InRange(first["tokens"]!.GetValue<int>(), 0, 40);
        Assert.Equal(first.ToJsonString(), (await platform.PredictAsync(serviceId, seeded)).ToJsonString());

        // The likeliest continuation is the same in PyTorch, from the same weights loaded with strict names.
        var greedy = await platform.PredictAsync(serviceId, new { prompt = "The ", max_tokens = 40, temperature = 0, stop_at_end = false });
        Assert.Equal(40, greedy["tokens"]!.GetValue<int>());
        var folder = Directory.CreateTempSubdirectory("aip-python-").FullName;
        var weights = await platform.ReadModelWeightsAsync(tuned, registered["lance_version"]!.GetValue<long>());
        await File.WriteAllBytesAsync(Path.Combine(folder, "weights.pt"), weights);
        await File.WriteAllTextAsync(Path.Combine(folder, "shape.json"), registered["params"]!.ToJsonString());
        var python = PythonScript.Run("generate_with_torch.py", Path.Combine(folder, "weights.pt"), Path.Combine(folder, "shape.json"), "The ", "40");
        Assert.Equal(python["completion"]!.GetValue<string>(), greedy["completion"]!.GetValue<string>());

        foreach (var (body, message) in new (object Body, string Message)[]
                 {
                     (new { prompt = 5 }, "'prompt' must be a string"),
                     (new { prompt = "x", max_tokens = 0 }, "'max_tokens' must be from 1 to 2000; got 0"),
                     (new { prompt = "x", temperature = "hot" }, "'temperature' must be a number"),
                 })
        {
            using var refused = await platform.PostJsonAsync($"/api/v1/tasks/{serviceId}/predict", body);
            var (code, text) = await ApiErrorTests.ReadErrorAsync(refused);
            Assert.Equal((HttpStatusCode.BadRequest, "INVALID_REQUEST"), (refused.StatusCode, code));
            Assert.Contains(message, text);
        }
        using var cancel = await platform.PostJsonAsync($"/api/v1/tasks/{serviceId}/cancel", new { });
    }

    [Fact]
    public async Task Ingesting_a_file_the_corpus_does_not_have_fails_naming_it_and_writes_no_dataset()
    {
        var dataset = Unique("lm-missing");
        var id = await platform.SubmitAsync(new { type = "ingestion", name = dataset, script = "text/ingest.csx", input = "/usr/share/games/fortunes",
            output = dataset, @params = new { files = "science,no-such-file" } });
        var task = await platform.WaitForStatusAsync(id, Patience, "failed", "completed");
        Assert.Equal("failed", task["status"]!.GetValue<string>());
        Assert.Contains("has no file no-such-file; it has art, ascii-art", task["error"]!.GetValue<string>());
        using var missing = await platform.Http.GetAsync($"/api/v1/datasets/{dataset}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
