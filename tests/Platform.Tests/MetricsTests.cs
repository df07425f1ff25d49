using System.Net;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// /metrics, /healthz and /readyz of a real gateway and worker, scraped over HTTP the way Prometheus does, around two
/// tasks run on a fleet of its own (one that completes, one that fails). The worker's port is picked at random and
/// found through the target file it registers for Prometheus's file-based discovery.
/// </summary>
public sealed class MetricsTests(MetricsTests.MonitoredFleet monitored) : IClassFixture<MetricsTests.MonitoredFleet>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly HttpClient _scraper = new() { Timeout = TimeSpan.FromSeconds(30) };
    private LocalFleet Fleet => monitored.Fleet;
    private string Targets => monitored.TargetsDirectory;

    /// <summary>
    /// A gateway and one ingest worker, and a private Prometheus and Alertmanager started by eng/monitoring.sh (own
    /// state folder, free ports); the processes register themselves in its targets folder.
    /// </summary>
    public sealed class MonitoredFleet : IAsyncLifetime
    {
        public PrivateMonitoring Monitoring { get; } = new();
        public LocalFleet Fleet { get; private set; } = null!;
        public string TargetsDirectory => Monitoring.TargetsDirectory;
        public Uri PrometheusUrl => Monitoring.PrometheusUrl;

        /// <summary>The target file of a worker that was killed outright (its pid is not running): the next process to register removes it.</summary>
        public string DeadWorkersTarget { get; private set; } = "";

        public async Task InitializeAsync()
        {
            await Monitoring.StartAsync();
            var deadPid = Enumerable.Range(2, 1 << 22).Select(i => (1 << 22) - i).First(pid => !Directory.Exists($"/proc/{pid}"));
            DeadWorkersTarget = Path.Combine(TargetsDirectory, $"worker-ingest-{deadPid}.json");
            await File.WriteAllTextAsync(DeadWorkersTarget, """[{"targets":["127.0.0.1:9"],"labels":{"service":"worker-ingest"}}]""");
            Fleet = await LocalFleet.StartAsync(new FleetOptions
            {
                Workers = ["Workers.Ingest"],
                Settings = new Dictionary<string, string>
                {
                    ["Monitoring__TargetsDirectory"] = TargetsDirectory,
                    ["Worker__HeartbeatInterval"] = "00:00:01",
                },
            });
        }

        public async Task DisposeAsync()
        {
            await Fleet.DisposeAsync();
            // Stopped processes delete their own target files: only the Alertmanager's stays.
            Assert.Empty(await Monitoring.StopAsync());
        }
    }

    [Fact]
    public async Task A_completed_and_a_failed_task_move_the_counters_and_histograms_scraped_over_http()
    {
        var worker = await WorkerMetricsUrlAsync();
        var gatewayBefore = await PrometheusScrape.GetAsync(Fleet.Http, "/metrics");
        var workerBefore = await PrometheusScrape.GetAsync(_scraper, worker);

        var completed = await RunAsync("echo.csx", new { message = "hi" });
        var failed = await RunAsync("fail.csx", new { message = "broken on purpose" });
        Assert.Equal("completed", completed);
        Assert.Equal("failed", failed);

        var gateway = await PrometheusScrape.GetAsync(Fleet.Http, "/metrics");
        var after = await PrometheusScrape.GetAsync(_scraper, worker);
        double Moved(PrometheusScrape before, PrometheusScrape now, string name, params (string, string)[] labels) =>
            now.Sum(name, labels) - before.Sum(name, labels);

        var ingestion = ("type", "ingestion");
        Assert.Equal(2, Moved(gatewayBefore, gateway, "aiplatform_tasks_submitted_total", ingestion));
        Assert.Equal(2, Moved(workerBefore, after, "aiplatform_tasks_started_total", ingestion));
        Assert.Equal(1, Moved(workerBefore, after, "aiplatform_tasks_finished_total", ingestion, ("state", "completed")));
        Assert.Equal(1, Moved(workerBefore, after, "aiplatform_tasks_finished_total", ingestion, ("state", "failed")));
        Assert.Equal(1, Moved(workerBefore, after, "aiplatform_task_duration_seconds_count", ingestion, ("state", "completed")));
        Assert.Equal(1, Moved(workerBefore, after, "aiplatform_task_duration_seconds_bucket", ingestion, ("state", "failed"), ("le", "+Inf")));
        Assert.Equal(2, Moved(workerBefore, after, "aiplatform_task_dispatch_latency_seconds_count", ingestion));
        Assert.True(after.Sum("aiplatform_task_duration_seconds_sum", ingestion) > 0);

        // Between tasks the worker's one slot is free, its warm runner waits, and its memory is within its limit.
        Assert.Equal(1, after.Sum("aiplatform_worker_slots", ("state", "free")));
        Assert.Equal(0, after.Sum("aiplatform_worker_slots", ("state", "busy")));
        Assert.True(after.Sum("aiplatform_worker_runner_processes") >= 1, "no runner process counted");
        var memory = after.Sum("aiplatform_worker_memory_usage_bytes");
        Assert.InRange(memory, 10e6, after.Sum("aiplatform_worker_memory_limit_bytes"));
        var heartbeat = DateTimeOffset.FromUnixTimeMilliseconds((long)(after.Sum("aiplatform_worker_last_heartbeat_timestamp_seconds") * 1000));
        Assert.InRange(heartbeat, DateTimeOffset.UtcNow.AddSeconds(-30), DateTimeOffset.UtcNow.AddSeconds(5));

        // The bus's own meter, and the process's, are served beside the platform's.
        Assert.Contains(after.Names, name => name.StartsWith("messaging_masstransit_", StringComparison.Ordinal));
        Assert.Contains(after.Names, name => name.StartsWith("process_memory_", StringComparison.Ordinal));
        Assert.Contains(gateway.Names, name => name.StartsWith("messaging_masstransit_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_gateway_reports_the_depth_of_the_contract_queues_only()
    {
        var deadline = DateTime.UtcNow + Patience;
        PrometheusScrape gateway;
        do
        {
            gateway = await PrometheusScrape.GetAsync(Fleet.Http, "/metrics");
            if (gateway.Has("aiplatform_queue_consumers") && gateway.Sum("aiplatform_queue_consumers", ("queue", "ingest-tasks")) >= 1) break;
            await Task.Delay(1000);
        } while (DateTime.UtcNow < deadline);

        Assert.Equal(1, gateway.Sum("aiplatform_queue_consumers", ("queue", "ingest-tasks")));
        Assert.True(gateway.Has("aiplatform_queue_messages_ready"), gateway.Text);
        var queueLabels = gateway.Text.Split('\n').Where(l => l.StartsWith("aiplatform_queue_", StringComparison.Ordinal)).ToList();
        // Worker instances' own queues would make one series per worker ever started.
        Assert.DoesNotContain(queueLabels, line => line.Contains("ingest-") && !line.Contains("ingest-tasks"));
    }

    [Fact]
    public async Task The_real_prometheus_discovers_gateway_and_worker_from_their_target_files_and_sees_a_task_finish()
    {
        Assert.Equal("completed", await RunAsync("echo.csx", new { message = "counted" }));
        using var prometheus = new HttpClient { BaseAddress = monitored.PrometheusUrl, Timeout = TimeSpan.FromSeconds(30) };
        async Task<double?> QueryAsync(string promql)
        {
            var answer = JsonNode.Parse(await prometheus.GetStringAsync($"api/v1/query?query={Uri.EscapeDataString(promql)}"))!;
            var result = answer["data"]!["result"]!.AsArray();
            return result.Count == 0 ? null : double.Parse(result[0]!["value"]![1]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        }

        // Scrapes every 10 s and re-reads the target files every 5 s: allow many rounds on a loaded machine.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(150);
        double? scraped = null, up = null, completed = null, alertmanagers = null;
        while (DateTime.UtcNow < deadline)
        {
            // Every target is up: the file a killed worker left was removed, not scraped as down forever. Until
            // Prometheus re-reads the folder it may have scraped that dead target (down) before the live worker, so
            // both counts are awaited, not read once.
            scraped = await QueryAsync("""count(up{job=~"aiplatform-gateway|aiplatform-worker"})""");
            up = await QueryAsync("""count(up{job=~"aiplatform-gateway|aiplatform-worker"} == 1)""");
            completed = await QueryAsync("""sum(aiplatform_tasks_finished_total{type="ingestion",state="completed"})""");
            var active = JsonNode.Parse(await prometheus.GetStringAsync("api/v1/alertmanagers"))!["data"]!["activeAlertmanagers"]!.AsArray();
            alertmanagers = active.Count;
            if (scraped == 2 && up == 2 && completed >= 1 && alertmanagers == 1) break;
            await Task.Delay(1000);
        }
        Assert.True(scraped == 2 && up == 2, $"targets Prometheus scrapes: {scraped}, up: {up}\n{await DescribeTargetsAsync(prometheus)}");
        Assert.False(File.Exists(monitored.DeadWorkersTarget), "the target file of a dead process is still listed");
        Assert.True(completed >= 1, $"completed tasks seen by Prometheus: {completed}");
        Assert.Equal(1, alertmanagers);
        // The rules are loaded from deploy/prometheus/alert-rules.yml.
        var rules = JsonNode.Parse(await prometheus.GetStringAsync("api/v1/rules"))!["data"]!["groups"]!.AsArray();
        Assert.Contains(rules.SelectMany(g => g!["rules"]!.AsArray()), r => r!["name"]!.GetValue<string>() == "TaskFailureRateHigh");
    }

    [Fact]
    public async Task Gateway_and_worker_answer_healthz_and_readyz_with_every_check_they_run()
    {
        var worker = (await WorkerMetricsUrlAsync()).Replace("/metrics", "");
        foreach (var (baseUrl, readyChecks) in new[]
                 {
                     (Fleet.Http.BaseAddress!.ToString().TrimEnd('/'), new[] { "database", "lake", "masstransit-bus" }),
                     (worker, new[] { "lake", "masstransit-bus" }),
                 })
        {
            var live = await GetJsonAsync($"{baseUrl}/healthz");
            Assert.Equal("healthy", live["status"]!.GetValue<string>());
            var ready = await GetJsonAsync($"{baseUrl}/readyz");
            Assert.Equal("healthy", ready["status"]!.GetValue<string>());
            foreach (var check in readyChecks)
                Assert.Equal("healthy", ready["checks"]![check]!["status"]!.GetValue<string>());
            Assert.Null(live["checks"]!["lake"]);
        }
    }

    /// <summary>What Prometheus discovered and how its scrapes went, with the target files it read them from.</summary>
    private async Task<string> DescribeTargetsAsync(HttpClient prometheus)
    {
        var data = JsonNode.Parse(await prometheus.GetStringAsync("api/v1/targets?state=any"))!["data"]!;
        var active = data["activeTargets"]!.AsArray().Select(t =>
            $"{t!["labels"]!["job"]} {t["scrapeUrl"]} {t["health"]} {t["lastError"]}");
        var files = Directory.GetFiles(Targets).Select(f => $"{Path.GetFileName(f)}: {File.ReadAllText(f)}");
        return $"active: {string.Join("; ", active)}\ndropped: {data["droppedTargets"]!.AsArray().Count}\nfiles: {string.Join("; ", files)}\n" +
            string.Join("\n", monitored.Monitoring.PrometheusComplaints().TakeLast(10));
    }

    private async Task<JsonNode> GetJsonAsync(string url)
    {
        using var response = await _scraper.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task A_scripts_lake_writes_count_on_its_workers_lake_counters()
    {
        // The script writes from its runner process, which exports nothing: it reports to the worker, which does.
        var worker = await WorkerMetricsUrlAsync();
        var before = await PrometheusScrape.GetAsync(_scraper, worker);

        Assert.Equal("completed", await RunAsync("registry/write_dataset.csx", new { rows = 1000 }, output: $"metered-{Guid.NewGuid():N}"[..16]));

        // The exporter answers from a cache for a moment after each scrape: scrape again until a fresh answer came.
        double written = 0;
        for (var tries = 0; written < 8000 && tries < 20; tries++)
        {
            if (tries > 0) await Task.Delay(250);
            var after = await PrometheusScrape.GetAsync(_scraper, worker);
            written = after.Sum("aiplatform_lake_written_bytes_total", ("store", "local")) - before.Sum("aiplatform_lake_written_bytes_total", ("store", "local"));
        }
        // 1000 doubles in the data file, plus its manifest and transaction.
        Assert.True(written >= 8000, $"the worker counted {written} bytes written to the lake");
    }

    /// <summary>The worker registers itself for Prometheus: a JSON target file naming its random port.</summary>
    private async Task<string> WorkerMetricsUrlAsync()
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var file = Directory.GetFiles(Targets, "worker-ingest-*.json").FirstOrDefault();
            if (file is not null)
            {
                var target = JsonNode.Parse(await File.ReadAllTextAsync(file))![0]!;
                Assert.Equal("worker-ingest", target["labels"]!["service"]!.GetValue<string>());
                return $"http://{target["targets"]![0]!.GetValue<string>()}/metrics";
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"no worker target file in {Targets}");
    }

    private async Task<string> RunAsync(string script, object parameters, string output = "out")
    {
        using var response = await Fleet.Http.PostAsync("/api/v1/tasks", JsonContent(new
        {
            type = "ingestion", name = $"metrics-{Guid.NewGuid():N}"[..24], script, input = "in", output, @params = parameters,
        }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>();
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var task = JsonNode.Parse(await Fleet.Http.GetStringAsync($"/api/v1/tasks/{id}"))!;
            var status = task["status"]!.GetValue<string>();
            if (status is "completed" or "failed" or "cancelled") return status;
            await Task.Delay(200);
        }
        throw new TimeoutException($"task {id} did not finish");
    }

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    public void Dispose() => _scraper.Dispose();
}
