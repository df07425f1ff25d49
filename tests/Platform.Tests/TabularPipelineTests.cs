using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// The tabular example (scripts/tabular) as a new user would run it: their own CSV of 8 features and 3 classes is
/// ingested, an 8-64-3 MLP trained on it and served, and predict takes the rows as the service's own JSON.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class TabularPipelineTests(PlatformFixture platform)
{
    private const int Features = 8;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Csv_ingest_mlp_train_serve_and_predict_rows_through_REST()
    {
        var folder = Path.Combine(PlatformFixture.TestInputRoot, "tabular-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var (rows, labels) = Blobs(new Random(7), 600);
        await File.WriteAllTextAsync(Path.Combine(folder, "data.csv"), Csv(rows, labels));

        var ingest = await platform.SubmitAsync(new { type = "ingestion", name = "tabular-ingest", script = "tabular/ingest.csx", input = folder, output = "blobs" });
        var ingested = await platform.WaitForStatusAsync(ingest, Patience, "completed", "failed");
        Assert.True(ingested["status"]!.GetValue<string>() == "completed", ingested.ToJsonString());
        Assert.Equal(600, ingested["result"]!["rows"]!.GetValue<int>());
        Assert.Equal((Features, 3), (ingested["result"]!["features"]!.GetValue<int>(), ingested["result"]!["classes"]!.GetValue<int>()));

        var train = await platform.SubmitAsync(new { type = "training", name = "tabular-train", script = "tabular/train.csx", input = "blobs", output = "blobs-mlp",
            @params = new { epochs = 40, seed = 1 } });
        var trained = await platform.WaitForStatusAsync(train, Patience, "completed", "failed");
        Assert.True(trained["status"]!.GetValue<string>() == "completed", trained.ToJsonString());
        Assert.True(trained["result"]!["test_accuracy"]!.GetValue<double>() >= 0.9, trained.ToJsonString());

        var service = await platform.SubmitAsync(new { type = "inference", name = "tabular-service", script = "tabular/serve.csx", model = "blobs-mlp" });
        var running = await platform.WaitForStatusAsync(service, TimeSpan.FromSeconds(90), "running", "failed");
        Assert.True(running["status"]!.GetValue<string>() == "running", running.ToJsonString());

        // New rows from the same distributions, raw (unscaled) as the user has them: one request with many rows,
        // and many one-row requests at once, which the service batches.
        var (fresh, freshLabels) = Blobs(new Random(8), 60);
        var many = await platform.PredictAsync(service, new { inputs = fresh });
        var predictions = many["predictions"]!.AsArray();
        Assert.Equal(60, predictions.Count);
        Assert.All(predictions, p => Assert.Equal(3, p!["probabilities"]!.AsArray().Count));
        Assert.True(predictions.Where((p, i) => p!["prediction"]!.GetValue<int>() == freshLabels[i]).Count() >= 54,
            many.ToJsonString());
        var singles = await Task.WhenAll(fresh.Select(row => platform.PredictAsync(service, new { inputs = new[] { row } })));
        Assert.Equal(predictions.Select(p => p!["prediction"]!.GetValue<int>()), singles.Select(s => s["predictions"]![0]!["prediction"]!.GetValue<int>()));

        using (var padded = await platform.PostJsonAsync($"/api/v1/tasks/{service}/predict", new { inputs = new[] { new float[784] } }))
        {
            var (code, message) = await ApiErrorTests.ReadErrorAsync(padded);
            Assert.Equal((HttpStatusCode.BadRequest, "INVALID_REQUEST"), (padded.StatusCode, code));
            Assert.Contains("'inputs[0]' must be an array of 8 numbers", message);
        }
        using (await platform.Http.PostAsync($"/api/v1/tasks/{service}/cancel", null))
            await platform.WaitForStatusAsync(service, TimeSpan.FromSeconds(30), "cancelled");
    }

    /// <summary>Three classes around different centres; features on very different scales, as raw tabular data is.</summary>
    private static (float[][] Rows, int[] Labels) Blobs(Random random, int count)
    {
        var labels = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
        var rows = labels.Select(label => Enumerable.Range(0, Features).Select(j =>
        {
            var centre = j % 3 == label ? 2.0 : 0.0;
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            return (float)((centre + 0.6 * gaussian) * Math.Pow(10, j % 4) + 5 * j);
        }).ToArray()).ToArray();
        return (rows, labels);
    }

    private static string Csv(float[][] rows, int[] labels)
    {
        var csv = new StringBuilder(string.Join(',', Enumerable.Range(1, Features).Select(j => $"f{j}")) + ",label\n");
        for (var i = 0; i < rows.Length; i++)
            csv.Append(string.Join(',', rows[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append(',').Append(labels[i]).Append('\n');
        return csv.ToString();
    }
}
