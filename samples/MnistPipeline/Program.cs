// The worked example, driven through the gateway's REST API only: ingest Fashion-MNIST's IDX files into the lake,
// train the reference CNN (the registry records the new model version with its lineage), promote that version to
// production, serve fashion-cnn@production, and predict test images through the serving fleet.
// usage: dotnet run --project samples/MnistPipeline -- [--gateway http://127.0.0.1:5080] [--key-file .state/admin.key]
//        [--epochs 5] [--input DIR] [--name fashion] [--samples 2000] [--test-images DIR]
// --input may be an s3:// prefix the workers read; the test images this client sends are then read from --test-images
// (a local folder with the same IDX files, by default --input).
// The API key (operator or admin) comes from --key-file or the AIP_API_KEY environment variable, never the command line.
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

var gateway = Option("--gateway", "http://127.0.0.1:5080");
var epochs = int.Parse(Option("--epochs", "5"));
var input = Option("--input", "/usr/share/datasets/fashion-mnist");
var name = Option("--name", "fashion");
var samples = int.Parse(Option("--samples", "2000"));
var testImages = Option("--test-images", input);
var keyFile = Option("--key-file", "");
var apiKey = keyFile != "" ? File.ReadAllText(keyFile).Trim() : Environment.GetEnvironmentVariable("AIP_API_KEY")
    ?? throw new InvalidOperationException("no API key: pass --key-file FILE or set AIP_API_KEY (eng/run.sh writes .state/admin.key)");
// Task names carry the run, so a rerun after an interrupted one is not refused as a duplicate; datasets and models
// keep their names and gain versions.
var run = DateTime.UtcNow.ToString("MMddHHmmss");
string[] classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

using var http = new HttpClient { BaseAddress = new Uri(gateway), Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
var clock = Stopwatch.StartNew();

Step("1/5 ingest", $"{input} -> datasets/{name}.lance");
var ingest = await RunTaskAsync(new { type = "ingestion", name = $"{name}-ingest-{run}", script = "mnist/ingest.csx", input, output = name,
    @params = new { normalize = true, flatten = true } });
Console.WriteLine($"    {ingest["result"]!.ToJsonString()}  ({ingest["duration_seconds"]:0.0} s)");

Step("2/5 train", $"reference CNN, {epochs} epochs -> a new version of model {name}-cnn");
var train = await RunTaskAsync(new { type = "training", name = $"{name}-train-{run}", script = "mnist/train.csx", input = name,
    output = $"{name}-cnn", @params = new { epochs, learning_rate = 0.001, batch_size = 64, seed = 1 } });
Console.WriteLine($"    {train["result"]!.ToJsonString()}  ({train["duration_seconds"]:0.0} s)");

var model = $"{name}-cnn";
// The Lance version the script committed identifies the new version; the registry gives it its semantic version.
var saved = train["result"]!["lake"]!["saved"]!.AsArray().Single(s => s!["kind"]!.GetValue<string>() == "model")!;
var version = (await WaitForRegistrationAsync(model, saved["lance_version"]!.GetValue<long>()))["version"]!.GetValue<string>();
Step("3/5 promote", $"{model}:{version} -> {model}@production");
using (var promote = await http.PutAsJsonAsync($"/api/v1/models/{model}/aliases/production",
           new { version, reason = $"main job run {run}: test accuracy {train["result"]!["test_accuracy"]}" }))
{
    var moved = await promote.Content.ReadFromJsonAsync<JsonNode>();
    if (!promote.IsSuccessStatusCode) throw new InvalidOperationException($"promote refused: {moved?.ToJsonString()}");
    Console.WriteLine($"    production: {moved!["previous_version"] ?? "(none)"} -> {moved["version"]!["version"]} ({moved["version"]!["stage"]})");
}
var lineage = (await http.GetFromJsonAsync<JsonNode>($"/api/v1/lineage?model={model}@production"))!;
foreach (var edge in lineage["edges"]!.AsArray())
    Console.WriteLine($"    lineage: {edge!["from"]} -{edge["relation"]}-> {edge["to"]}");

Step("4/5 serve", $"inference task for {model}@production");
var service = await SubmitAsync(new { type = "inference", name = $"{name}-service-{run}", model = $"{model}@production", device = "cpu" });
var running = await WaitAsync(service, "running");
Console.WriteLine($"    endpoint {running["endpoint"]}, serving {running["resolved_model"]}");

Step("5/5 predict", $"{samples} test images through {gateway}");
var (images, labels) = ReadTestImages(testImages, samples);
var correct = 0;
var predictClock = Stopwatch.StartNew();
for (var start = 0; start < images.Count; start += 256)
{
    var batch = images.Skip(start).Take(256).ToList();
    using var response = await http.PostAsJsonAsync($"/api/v1/tasks/{service}/predict", new { images = batch });
    var body = await response.Content.ReadFromJsonAsync<JsonNode>();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"predict failed: {body?.ToJsonString()}");
    var predictions = body!["predictions"]!.AsArray();
    for (var i = 0; i < predictions.Count; i++)
        if (predictions[i]!["prediction"]!.GetValue<int>() == labels[start + i]) correct++;
}
Console.WriteLine($"    accuracy through the service: {(double)correct / images.Count:P2} on {images.Count} test images ({predictClock.Elapsed.TotalSeconds:0.0} s)");
for (var i = 0; i < 5; i++)
{
    using var response = await http.PostAsJsonAsync($"/api/v1/tasks/{service}/predict", new { image = images[i] });
    var p = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    var predicted = p["prediction"]!.GetValue<int>();
    Console.WriteLine($"    image {i}: predicted {classes[predicted],-12} ({p["confidence"]!.GetValue<double>():P1})  actual {classes[labels[i]]}");
}

using (var cancel = await http.PostAsync($"/api/v1/tasks/{service}/cancel", null)) cancel.EnsureSuccessStatusCode();
await WaitAsync(service, "cancelled");
Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:0} s; the service was stopped. Models: {gateway}/api/v1/models");

// The registry records a version once the gateway has handled the task's result, a moment after the task completes.
async Task<JsonNode> WaitForRegistrationAsync(string model, long lanceVersion)
{
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (true)
    {
        using var response = await http.GetAsync($"/api/v1/models/{model}/versions/{lanceVersion}");
        if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        if (DateTime.UtcNow > deadline)
            throw new InvalidOperationException($"{model}@{lanceVersion} was not registered within 60 s: {await response.Content.ReadAsStringAsync()}");
        await Task.Delay(250);
    }
}

async Task<JsonNode> RunTaskAsync(object request)
{
    var id = await SubmitAsync(request);
    var task = await WaitAsync(id, "completed", "failed", "cancelled");
    if (task["status"]!.GetValue<string>() != "completed")
        throw new InvalidOperationException($"task {id} ended {task["status"]}: {task["error"]}");
    return task;
}

async Task<Guid> SubmitAsync(object request)
{
    using var response = await http.PostAsJsonAsync("/api/v1/tasks", request);
    var body = await response.Content.ReadFromJsonAsync<JsonNode>();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"submit refused: {body?.ToJsonString()}");
    return body!["id"]!.GetValue<Guid>();
}

async Task<JsonNode> WaitAsync(Guid id, params string[] statuses)
{
    string? lastMessage = null;
    while (true)
    {
        var task = (await http.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{id}"))!;
        var status = task["status"]!.GetValue<string>();
        if (statuses.Contains(status)) return task;
        if (status is "failed" or "cancelled") throw new InvalidOperationException($"task {id} {status}: {task["error"]}");
        var message = task["progress"]?["message"]?.GetValue<string>();
        if (message is not null && message != lastMessage)
        {
            Console.WriteLine($"    {status}: {message} {task["progress"]?["metrics"]?.ToJsonString()}");
            lastMessage = message;
        }
        await Task.Delay(500);
    }
}

static (List<float[]> Images, int[] Labels) ReadTestImages(string folder, int count)
{
    static byte[] Read(string path)
    {
        using var file = File.OpenRead(File.Exists(path + ".gz") ? path + ".gz" : path);
        using Stream stream = path.EndsWith(".gz") || File.Exists(path + ".gz") ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
    var images = Read(Path.Combine(folder, "t10k-images-idx3-ubyte"));
    var labels = Read(Path.Combine(folder, "t10k-labels-idx1-ubyte"));
    count = Math.Min(count, BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4)));
    return (Enumerable.Range(0, count).Select(i => images.AsSpan(16 + i * 784, 784).ToArray().Select(b => b / 255f).ToArray()).ToList(),
        labels.AsSpan(8, count).ToArray().Select(b => (int)b).ToArray());
}

void Step(string step, string what) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0}s] {step}: {what}");

string Option(string option, string fallback)
{
    var index = Array.IndexOf(args, option);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}
