using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;
using static AiPlatform.Platform.Tests.PipelinesApi;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// The shipped templates (pipelines/templates) on Fashion-MNIST, kept small for two cores: a few thousand images per
/// split and one epoch.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class PipelineTemplateTests(PlatformFixture platform)
{
    private const int ImagesPerSplit = 2000;

    [Fact]
    public async Task Train_evaluate_promote_promotes_a_better_model_deploys_it_and_keeps_production_when_the_next_is_worse()
    {
        var (dataset, model, service) = (Unique("tep-data"), Unique("tep-cnn"), Unique("tep-svc"));
        var common = new JsonObject { ["dataset"] = dataset, ["model"] = model, ["service"] = service, ["max_per_split"] = ImagesPerSplit };

        // First run: nothing is in production, so the trained model is promoted and the service started on production.
        var first = await platform.RunTemplateAsync("train-evaluate-promote", With(common, ("learning_rate", 0.001)));
        Assert.All(Steps(first), s => Assert.Equal("completed", State(s)));
        Assert.False(Step(first, "production")["result"]!["found"]!.GetValue<bool>());
        var firstVersion = Step(first, "train")["result"]!["model_version"]!.GetValue<string>();
        var firstAccuracy = Step(first, "evaluate")["result"]!["metrics"]!["test_accuracy"]!.GetValue<double>();
        Assert.True(firstAccuracy > 0.5, $"one epoch on {ImagesPerSplit} images scored {firstAccuracy}");
        Assert.Equal(firstVersion, Step(first, "promote")["result"]!["version"]!.GetValue<string>());
        Assert.Equal(firstVersion, await ProductionVersionAsync(model));

        // The evaluation is recorded on the version it scored, with the dataset version it read.
        var recorded = await platform.Http.GetJsonAsync($"/api/v1/models/{model}/versions/{firstVersion}");
        Assert.Equal(firstAccuracy, recorded["metrics"]!["test_accuracy"]!.GetValue<double>());
        var evaluated = (await platform.Http.GetJsonAsync($"/api/v1/models/{model}/audit")).AsArray().Single(a => a!["action"]!.GetValue<string>() == "evaluated")!;
        Assert.Equal(firstVersion, evaluated["version"]!.GetValue<string>());
        Assert.StartsWith($"evaluated on {dataset}@", evaluated["reason"]!.GetValue<string>());

        // The deploy step started the service on the alias and completed once it served the promoted version. The
        // service's own record follows its start event, which another consumer handles: running within moments (seen
        // "pending" for an instant on CI when read at once).
        var deployed = Step(first, "deploy")["result"]!;
        Assert.True(deployed["started"]!.GetValue<bool>());
        var serviceId = deployed["task_id"]!.GetValue<Guid>();
        var firstExact = Step(first, "promote")["result"]!["reference"]!.GetValue<string>();
        Assert.Equal(firstExact, deployed["served_model"]!.GetValue<string>());
        var serviceTask = await platform.WaitForStatusAsync(serviceId, TimeSpan.FromSeconds(10), "running", "completed", "failed", "cancelled");
        Assert.Equal("running", serviceTask["status"]!.GetValue<string>());
        Assert.Equal(firstExact, await PredictingVersionAsync(serviceId));

        // Second run with a learning rate too small to learn anything: scored lower, so neither promoted nor deployed.
        var second = await platform.RunTemplateAsync("train-evaluate-promote", With(common, ("learning_rate", 1e-7)));
        var secondAccuracy = Step(second, "evaluate")["result"]!["metrics"]!["test_accuracy"]!.GetValue<double>();
        Assert.True(secondAccuracy < firstAccuracy, $"the worse setting scored {secondAccuracy}, the first run {firstAccuracy}");
        Assert.Equal(firstVersion, Step(second, "production")["result"]!["version"]!.GetValue<string>());
        Assert.Equal("skipped", StepState(second, "promote"));
        Assert.StartsWith("condition is false", Step(second, "promote")["error"]!.GetValue<string>());
        Assert.Equal("skipped", StepState(second, "deploy"));
        Assert.Equal(firstVersion, await ProductionVersionAsync(model));
        var secondVersion = Step(second, "train")["result"]!["model_version"]!.GetValue<string>();
        Assert.Equal("registered", (await platform.Http.GetJsonAsync($"/api/v1/models/{model}/versions/{secondVersion}"))["stage"]!.GetValue<string>());
        Assert.Equal(firstExact, await PredictingVersionAsync(serviceId));

        // Both runs are listed under the template's pipeline.
        var runs = await platform.Http.GetJsonAsync("/api/v2/pipelines/train-evaluate-promote/runs");
        Assert.Contains(runs["items"]!.AsArray(), r => r!["id"]!.GetValue<Guid>() == second["id"]!.GetValue<Guid>());
        using var cancel = await platform.PostJsonAsync($"/api/v1/tasks/{serviceId}/cancel", new { });
    }

    [Fact]
    public async Task A_deploy_step_is_done_when_its_service_serves_and_fails_when_the_service_cannot_start()
    {
        var (dataset, model) = (Unique("dep-data"), Unique("dep-m"));
        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("deploys"),
            on_failure = "continue",
            steps = new object[]
            {
                new { name = "data", type = "ingestion", script = "registry/write_dataset.csx", output = dataset },
                new { name = "train", type = "training", script = "registry/save_model.csx", input = dataset, output = model, depends_on = new[] { "data" } },
                new { name = "good", type = "deploy", script = "serving/model_sum.csx", model = "${steps.train.result.model}", output = Unique("dep-good"),
                      depends_on = new[] { "train" } },
                new { name = "broken", type = "deploy", script = "compile_error.csx", model, output = Unique("dep-bad"),
                      depends_on = new[] { "train" } },
            },
        });
        var run = await platform.WaitForRunAsync(await platform.ExecuteAsync(pipeline), "completed", "failed");

        Assert.Equal("failed", run["status"]!.GetValue<string>());
        Assert.True(StepState(run, "good") == "completed", run.ToJsonString());
        var good = Step(run, "good")["result"]!;
        Assert.StartsWith(model, good["served_model"]!.GetValue<string>());
        var goodService = good["task_id"]!.GetValue<Guid>();
        // The step completes on the replica's "model served" report; the task's own state follows from the replica's
        // start, a separate event the saga may take a moment longer to apply (seen in CI: still pending just after).
        Assert.Equal("running", (await platform.WaitForStatusAsync(goodService, TimeSpan.FromSeconds(30), "running", "failed", "cancelled"))["status"]!.GetValue<string>());

        // Submitting the broken service succeeded; its start did not, and that is the step's outcome.
        Assert.Equal("failed", StepState(run, "broken"));
        Assert.Contains("service could not start", Step(run, "broken")["error"]!.GetValue<string>());
        using var cancel = await platform.PostJsonAsync($"/api/v1/tasks/{goodService}/cancel", new { });
    }

    [Fact]
    public async Task The_evaluate_template_scores_a_version_named_by_alias_and_records_the_metrics_on_it()
    {
        var (dataset, model) = (Unique("eval-data"), Unique("eval-cnn"));
        var ingest = await platform.SubmitAsync(new { type = "ingestion", name = Unique("eval-ingest"), script = "mnist/ingest.csx",
            input = "/usr/share/datasets/fashion-mnist", output = dataset, @params = new { max_per_split = 500 } });
        Assert.Equal("completed", (await platform.WaitForStatusAsync(ingest, Patience, "completed", "failed"))["status"]!.GetValue<string>());
        var train = await platform.SubmitAsync(new { type = "training", name = Unique("eval-train"), script = "mnist/train.csx", input = dataset, output = model,
            @params = new { epochs = 1 } });
        var trained = await platform.WaitForStatusAsync(train, Patience, "completed", "failed");
        var version = trained["result"]!["model_version"]!.GetValue<string>();
        // The registry registers the version once it hears the task completed, a moment after the task says so.
        await WaitForAsync(async () => new JsonObject { ["registered"] = await ExistsAsync($"/api/v1/models/{model}/versions/{version}") },
            r => r["registered"]!.GetValue<bool>(), $"{model}:{version} registered");
        using (var alias = await platform.Http.PutAsJsonAsync($"/api/v1/models/{model}/aliases/staging", new { version, reason = "to evaluate" }))
            Assert.Equal(HttpStatusCode.OK, alias.StatusCode);

        var done = await platform.RunTemplateAsync("evaluate", new JsonObject { ["model"] = $"{model}@staging", ["dataset"] = dataset });
        var result = Step(done, "evaluate")["result"]!;
        Assert.Equal(500, result["rows"]!.GetValue<int>());
        Assert.Equal("test", result["split"]!.GetValue<string>());
        var accuracy = result["metrics"]!["test_accuracy"]!.GetValue<double>();
        var task = await platform.GetTaskAsync(Step(done, "evaluate")["task_id"]!.GetValue<Guid>());
        Assert.Equal(result["model"]!.GetValue<string>(), task["resolved_model"]!.GetValue<string>());

        var recorded = await WaitForAsync(async () => await platform.Http.GetJsonAsync($"/api/v1/models/{model}/versions/{version}"),
            v => v["metrics"]?["test_loss"] is not null, "the evaluation recorded on the version");
        Assert.Equal(accuracy, recorded["metrics"]!["test_accuracy"]!.GetValue<double>());
        Assert.Equal(result["metrics"]!["test_loss"]!.GetValue<double>(), recorded["metrics"]!["test_loss"]!.GetValue<double>());
        // What training recorded stays beside it.
        Assert.Equal(1, recorded["metrics"]!["epochs"]!.GetValue<int>());
    }

    [Fact]
    public async Task Templates_are_listed_and_refuse_what_they_cannot_run()
    {
        var list = await platform.Http.GetJsonAsync("/api/v2/templates");
        var names = list["items"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("evaluate", names);
        Assert.Contains("train-evaluate-promote", names);
        var evaluate = await platform.Http.GetJsonAsync("/api/v2/templates/evaluate");
        Assert.Equal("mnist/evaluate.csx", evaluate["definition"]!["steps"]![0]!["script"]!.GetValue<string>());

        var (missing, missingBody) = await platform.SendAsync("/api/v2/templates/nope/execute", new { });
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("TEMPLATE_NOT_FOUND", missingBody["error"]!["code"]!.GetValue<string>());
        var (noModel, noModelBody) = await platform.SendAsync("/api/v2/templates/evaluate/execute", new { @params = new { dataset = "x" } });
        Assert.Equal(HttpStatusCode.BadRequest, noModel);
        Assert.Contains("param 'model' has no default", noModelBody["error"]!["message"]!.GetValue<string>());

        // A pipeline of one's own from a template: its name, its defaults.
        var name = Unique("mine");
        var (created, pipeline) = await platform.SendAsync("/api/v2/pipelines", new { name, template = "evaluate", @params = new { split = "train" } });
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal("train", pipeline["definition"]!["params"]!["split"]!["default"]!.GetValue<string>());
        var (unknown, unknownBody) = await platform.SendAsync("/api/v2/pipelines", new { name = Unique("mine"), template = "evaluate", @params = new { epochs = 3 } });
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        Assert.Contains("param 'epochs' is not declared by template 'evaluate'", unknownBody["error"]!["message"]!.GetValue<string>());

        // Action steps are checked like the rest before anything runs.
        var (invalid, invalidBody) = await platform.SendAsync("/api/v2/pipelines", new
        {
            name = Unique("bad-actions"),
            steps = new object[]
            {
                new { name = "promote", type = "promote", script = "echo.csx" },
                new { name = "deploy", type = "deploy", script = "mnist/serve.csx", model = "m@production" },
            },
        });
        Assert.Equal(HttpStatusCode.BadRequest, invalid);
        var message = invalidBody["error"]!["message"]!.GetValue<string>();
        Assert.Contains("steps.promote.script does not apply to a promote step", message);
        Assert.Contains("steps.promote.model is required for a promote step", message);
        Assert.Contains("steps.deploy.output is required for a deploy step", message);
    }

    private static JsonObject With(JsonObject common, params (string Name, double Value)[] more)
    {
        var copy = common.DeepClone().AsObject();
        foreach (var (name, value) in more) copy[name] = value;
        return copy;
    }

    private async Task<string?> ProductionVersionAsync(string model) =>
        (await platform.Http.GetJsonAsync($"/api/v1/models/{model}/aliases")).AsArray().SingleOrDefault(a => a!["alias"]!.GetValue<string>() == "production")?["version"]
        ?.GetValue<string>();

    /// <summary>The exact version that answers a prediction, once the service has a replica ready.</summary>
    private async Task<string> PredictingVersionAsync(Guid service)
    {
        var image = new JsonObject { ["image"] = new JsonArray(Enumerable.Repeat(0.5, 784).Select(v => (JsonNode)v).ToArray()) };
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            using var response = await platform.PostJsonAsync($"/api/v1/tasks/{service}/predict", image);
            if (response.StatusCode == HttpStatusCode.OK) return response.Headers.GetValues("X-Model-Version").Single();
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"service {service} did not answer: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(500);
        }
    }

    private static async Task<JsonNode> WaitForAsync(Func<Task<JsonNode>> read, Func<JsonNode, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var current = await read();
            if (condition(current)) return current;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} did not happen: {current.ToJsonString()}");
            await Task.Delay(200);
        }
    }

    private async Task<bool> ExistsAsync(string path)
    {
        using var response = await platform.Http.GetAsync(path);
        return response.IsSuccessStatusCode;
    }
}
