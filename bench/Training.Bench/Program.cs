// Platform overhead on training: the reference CNN trained for one epoch as a training task (REST -> RabbitMQ ->
// train worker -> script runner -> lake) against the bare engine benchmark (bench/Torch.Bench) on the same machine in
// the same run, in alternating rounds.
// usage: dotnet run -c Release --project bench/Training.Bench [-- --epochs 1 --rounds 3]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AiPlatform.Fleet;

var epochs = Option("--epochs", 1);
var rounds = Option("--rounds", 3);
Console.WriteLine($"Training overhead: reference CNN, Fashion-MNIST, {epochs} epoch(s), batch 64, Adam 1e-3 ({Environment.ProcessorCount} cores)");
await using var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = ["Workers.Ingest", "Workers.Train"] });

var ingest = await RunTaskAsync(new { type = "ingestion", name = "bench-ingest", script = "mnist/ingest.csx",
    input = "/usr/share/datasets/fashion-mnist", output = "bench-fashion" });
Console.WriteLine($"ingestion of {ingest["result"]!["total_records"]} images: {Seconds(ingest, "duration_seconds"):0.00} s");

// Rounds alternate engine and task, so drift in the machine's speed (2 noisy cores) hits both sides alike.
var ratios = new List<double>();
for (var round = 1; round <= rounds; round++)
{
    var engine = BareEngineEpochs(epochs);
    var task = await RunTaskAsync(new { type = "training", name = $"bench-train-{round}", script = "mnist/train.csx", input = "bench-fashion",
        output = "bench-cnn", @params = new { epochs, learning_rate = 0.001, batch_size = 64, seed = 1 } });
    var platform = await EpochSecondsAsync((Guid)task["id"]!);
    var taskSeconds = Seconds(task, "duration_seconds");
    ratios.Add(platform.Average() / engine.Average());
    Console.WriteLine($"round {round}: engine alone {Format(engine)}; training task {Format(platform)}, whole task {taskSeconds:0.00} s " +
                      $"(runner, compile, lake reads, evaluation, model save), test accuracy {task["result"]!["test_accuracy"]:0.0000}; " +
                      $"ratio {ratios[^1]:0.000}");
}
ratios.Sort();
Console.WriteLine($"platform overhead per epoch, task / engine: median {ratios[ratios.Count / 2]:0.000} over {rounds} rounds " +
                  $"(min {ratios[0]:0.000}, max {ratios[^1]:0.000}; goal <= 1.05)");

async Task<JsonNode> RunTaskAsync(object request)
{
    using var response = await fleet.Http.PostAsJsonAsync("/api/v1/tasks", request);
    var id = (await response.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<Guid>();
    while (true)
    {
        var task = (await fleet.Http.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{id}"))!;
        var status = task["status"]!.GetValue<string>();
        if (status == "completed") return task;
        if (status is "failed" or "cancelled") throw new InvalidOperationException($"task {id} {status}: {task["error"]}");
        await Task.Delay(1000); // a watcher polling faster would itself take CPU from the training it measures
    }
}

// The script reports each epoch's training-loop seconds (lake reads included) as progress metrics.
async Task<List<double>> EpochSecondsAsync(Guid id)
{
    var events = (await fleet.Http.GetFromJsonAsync<JsonArray>($"/api/v1/tasks/{id}/events"))!;
    return events.Select(e => e!["data"]?["metrics_json"]?.GetValue<string>()).OfType<string>()
        .Select(json => JsonNode.Parse(json)?["seconds"]?.GetValue<double>()).OfType<double>().ToList();
}

static List<double> BareEngineEpochs(int epochs)
{
    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
    foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "AiPlatform.Torch.Bench.dll"), "--skip-python", "--epochs", epochs.ToString() })
        info.ArgumentList.Add(argument);
    using var process = Process.Start(info)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException("the engine benchmark failed:\n" + output);
    return Regex.Matches(output, @"engine  epoch \d+: ([0-9.]+) s").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
}

static double Seconds(JsonNode task, string field) => task[field]!.GetValue<double>();

static string Format(List<double> seconds) => string.Join(", ", seconds.Select((s, i) => $"epoch {i + 1} {s:0.00} s"));

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}
