using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;

namespace Platform.Bench;

/// <summary>
/// What metrics and tracing cost a task (issue 15 allows 5 %): every process with <c>Telemetry:Enabled=false</c>,
/// against metrics alone (/metrics of the gateway and the worker scraped every <see cref="ScrapeInterval"/>, where
/// Prometheus here scrapes every 10 s), and against metrics so scraped with a tenth of the tasks and with every task
/// traced (sample ratios 0.1 and 1) and exported over OTLP to a sink here.
/// </summary>
internal static class TelemetryCost
{
    private static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(int latencyTasks, int throughputTasks, int rounds)
    {
        using var sink = new OtlpSink();
        var targets = Directory.CreateTempSubdirectory("aiplatform-bench-targets-").FullName;
        try
        {
            var scraped = new Dictionary<string, string> { ["Monitoring__TargetsDirectory"] = targets };
            Dictionary<string, string> Traced(string sampleRatio) => new(scraped)
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.Endpoint,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["Telemetry__TraceSampleRatio"] = sampleRatio,
            };
            await SettingsComparison.RunAsync(
                new("telemetry off", new Dictionary<string, string> { ["Telemetry__Enabled"] = "false" }),
                [
                    new("metrics", scraped, fleet => new ScrapeLoop(fleet, targets)),
                    new("metrics, 10% traced", Traced("0.1"), fleet => new ScrapeLoop(fleet, targets)),
                    new("metrics, all traced", Traced("1"), fleet => new ScrapeLoop(fleet, targets)),
                ],
                latencyTasks, throughputTasks, rounds);
            Console.WriteLine($"OTLP sink: {sink.Exports} trace exports, {sink.Bytes / 1e6:0.0} MB");
        }
        finally
        {
            Directory.Delete(targets, recursive: true);
        }
    }

    /// <summary>Takes OTLP/HTTP exports and drops them, answering as a collector would.</summary>
    private sealed class OtlpSink : IDisposable
    {
        private readonly HttpListener _listener = new();
        private long _exports, _bytes;

        public OtlpSink()
        {
            Endpoint = $"http://127.0.0.1:{FreePort()}";
            _listener.Prefixes.Add(Endpoint + "/v1/traces/");
            _listener.Start();
            _ = ServeAsync();
        }

        public string Endpoint { get; }
        public long Exports => Interlocked.Read(ref _exports);
        public long Bytes => Interlocked.Read(ref _bytes);

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                try
                {
                    var context = await _listener.GetContextAsync();
                    using var body = new MemoryStream();
                    await context.Request.InputStream.CopyToAsync(body);
                    Interlocked.Increment(ref _exports);
                    Interlocked.Add(ref _bytes, body.Length);
                    context.Response.ContentType = "application/x-protobuf";
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public void Dispose() => _listener.Close();
    }

    /// <summary>Scrapes the gateway's /metrics and every registered worker's, as Prometheus would, until disposed.</summary>
    private sealed class ScrapeLoop : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public ScrapeLoop(LocalFleet fleet, string targets) => _loop = RunAsync(fleet, targets, _stop.Token);

        private static async Task RunAsync(LocalFleet fleet, string targets, CancellationToken stop)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var timer = new PeriodicTimer(ScrapeInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(stop))
                {
                    var urls = Directory.GetFiles(targets, "worker-*.json")
                        .Select(file => $"http://{JsonNode.Parse(File.ReadAllText(file))![0]!["targets"]![0]!.GetValue<string>()}/metrics")
                        .Append(new Uri(fleet.GatewayUrl, "/metrics").ToString());
                    await Task.WhenAll(urls.Select(url => http.GetStringAsync(url, stop)));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }
}
