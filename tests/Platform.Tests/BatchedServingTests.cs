using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// Predict requests sent together through the gateway are answered in shared batches by the serving script
/// (scripts/serving/echo_predictor.csx), each caller getting its own answer; a batch that fails costs only its bad request.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class BatchedServingTests(PlatformFixture platform)
{
    [Fact]
    public async Task Concurrent_requests_share_batches_and_each_caller_gets_its_own_answer()
    {
        var service = await StartEchoServiceAsync("echo-routing");
        var batchesBefore = await BatchSizesAsync();
        var answers = await Task.WhenAll(Enumerable.Range(0, 48).Select(id => PredictAsync(service, new { id })));

        foreach (var (id, (status, body, servedBy)) in answers.Select((a, i) => (i, a)))
        {
            Assert.True(status == HttpStatusCode.OK, $"request {id}: {status} {body}");
            Assert.Equal(id, body["id"]!.GetValue<int>());
            Assert.StartsWith("serve-", servedBy);
        }
        Assert.Contains(answers, a => a.Body["batch_size"]!.GetValue<int>() > 1);
        Assert.Single(answers.Select(a => a.Body["process"]!.GetValue<int>()).Distinct());

        // The serve worker's batch-size histogram: every request in exactly one batch, each batch recorded once. The
        // exporter caches its answer for a moment, so a scrape right after the last one may still show the old figures.
        var batchesAfter = await BatchSizesAsync();
        for (var tries = 0; batchesAfter.Requests - batchesBefore.Requests < 48 && tries < 20; tries++)
        {
            await Task.Delay(250);
            batchesAfter = await BatchSizesAsync();
        }
        Assert.Equal(48, batchesAfter.Requests - batchesBefore.Requests);
        Assert.Equal(answers.Select(a => a.Body["batch_size"]!.GetValue<int>()).Max() > 1, batchesAfter.Batches - batchesBefore.Batches < 48);
        Assert.InRange(batchesAfter.Batches - batchesBefore.Batches, 1, 48);
    }

    private async Task<(double Batches, double Requests)> BatchSizesAsync()
    {
        var scrapes = await platform.ScrapeAsync("worker-serve");
        Assert.NotEmpty(scrapes);
        return (scrapes.Sum(s => s.Sum("aiplatform_predict_batch_size_count")), scrapes.Sum(s => s.Sum("aiplatform_predict_batch_size_sum")));
    }

    [Fact]
    public async Task A_failing_batch_fails_only_its_bad_request_and_a_refused_input_is_the_callers_400()
    {
        var service = await StartEchoServiceAsync("echo-failing");
        var good = Enumerable.Range(0, 10).Select(id => PredictAsync(service, new { id })).ToList();
        var exploding = PredictAsync(service, new { id = 100, explode = true });
        var invalid = PredictAsync(service, new { id = 101, invalid = true });
        var goodAnswers = await Task.WhenAll(good);
        var (explodingAnswer, invalidAnswer) = (await exploding, await invalid);

        foreach (var (answer, id) in goodAnswers.Select((a, i) => (a, i)))
        {
            Assert.True(answer.Status == HttpStatusCode.OK, $"request {id}: {answer.Status} {answer.Body}");
            Assert.Equal(id, answer.Body["id"]!.GetValue<int>());
        }
        Assert.Equal(HttpStatusCode.BadGateway, explodingAnswer.Status);
        Assert.Equal("PREDICTION_FAILED", explodingAnswer.Body["error"]!["code"]!.GetValue<string>());
        Assert.Contains("the model exploded", explodingAnswer.Body["error"]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, invalidAnswer.Status);
        Assert.Equal("INVALID_REQUEST", invalidAnswer.Body["error"]!["code"]!.GetValue<string>());
        Assert.Equal("field 'invalid' is not something this model takes", invalidAnswer.Body["error"]!["message"]!.GetValue<string>());

        // The service lives on after both.
        var after = await PredictAsync(service, new { id = 7 });
        Assert.Equal(HttpStatusCode.OK, after.Status);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_at_the_gateway()
    {
        var service = await StartEchoServiceAsync("echo-not-json");
        using var response = await platform.PostRawAsync($"/api/v1/tasks/{service}/predict", "{\"id\": 1,");
        var (code, message) = await ApiErrorTests.ReadErrorAsync(response);
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_REQUEST"), (response.StatusCode, code));
        Assert.Contains("not valid JSON", message);
    }

    private async Task<Guid> StartEchoServiceAsync(string name)
    {
        var model = name + "-model";
        await new LakeCatalog(new LakeOptions { Root = platform.LakeRoot }).Models.SaveAsync(model, new ModelArtifact("Echo", [0], [], [], []));
        var service = await platform.SubmitAsync(new { type = "inference", name, model, script = "serving/echo_predictor.csx" });
        var running = await platform.WaitForStatusAsync(service, TimeSpan.FromSeconds(90), "running", "failed");
        Assert.True(running["status"]!.GetValue<string>() == "running", running.ToJsonString());
        return service;
    }

    private async Task<(HttpStatusCode Status, JsonNode Body, string? ServedBy)> PredictAsync(Guid service, object body)
    {
        using var response = await platform.PostJsonAsync($"/api/v1/tasks/{service}/predict", body);
        var servedBy = response.Headers.TryGetValues("X-Served-By", out var values) ? values.Single() : null;
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!, servedBy);
    }
}
