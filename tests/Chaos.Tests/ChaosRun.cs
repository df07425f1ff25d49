using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;

namespace AiPlatform.Chaos.Tests;

/// <summary>How long a chaos run lasts and how many faults of each kind it injects, at least.</summary>
public sealed record ChaosPlan(int Seed, TimeSpan Duration, int BrokerRestarts, int WorkerKills, int GatewayKills, int PostgresRestarts, int S3Restarts)
{
    /// <summary>The run the test command makes; AIP_CHAOS_MINUTES (and AIP_CHAOS_SEED) make a longer one, with faults scaled to it.</summary>
    public static ChaosPlan FromEnvironment()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AIP_CHAOS_SEED"), out var s) ? s : 20261201;
        if (!double.TryParse(Environment.GetEnvironmentVariable("AIP_CHAOS_MINUTES"), System.Globalization.CultureInfo.InvariantCulture, out var minutes))
            return new ChaosPlan(seed, TimeSpan.FromMinutes(3), BrokerRestarts: 2, WorkerKills: 3, GatewayKills: 1, PostgresRestarts: 1, S3Restarts: 1);
        // The issue's long run: 15 minutes with at least 10 broker restarts, 10 worker kills, 3 of each of the others.
        var scale = minutes / 15;
        return new ChaosPlan(seed, TimeSpan.FromMinutes(minutes), Math.Max(1, (int)(10 * scale)), Math.Max(1, (int)(10 * scale)),
            Math.Max(1, (int)(3 * scale)), Math.Max(1, (int)(3 * scale)), Math.Max(1, (int)(3 * scale)));
    }
}

/// <summary>What a chaos run saw; every count is printed, and the test asserts the ones that must be zero.</summary>
public sealed class ChaosReport
{
    public int Submitted { get; set; }
    public Dictionary<string, int> FinalStates { get; } = [];
    public List<string> Stuck { get; } = [];
    public List<string> DuplicateCompletions { get; } = [];
    public List<string> BadDatasets { get; } = [];
    public List<string> DeafProcesses { get; } = [];
    public Dictionary<string, int> Faults { get; } = [];
    public Dictionary<string, List<double>> RecoverySeconds { get; } = [];
    public int Reruns { get; set; }
    public int ReplacedWorkers { get; set; }

    public override string ToString()
    {
        static string P(List<double> xs, double q) => FleetProbes.Quantile(xs, q);
        var lines = new List<string>
        {
            $"tasks submitted: {Submitted}; final states: {string.Join(", ", FinalStates.Select(p => $"{p.Key} {p.Value}"))}",
            $"stuck: {Stuck.Count}, duplicated completions: {DuplicateCompletions.Count}, bad datasets: {BadDatasets.Count}, deaf processes: {DeafProcesses.Count}",
            $"tasks run more than once (retried after a fault): {Reruns}; workers replaced after kill -9: {ReplacedWorkers}",
            $"faults injected: {string.Join(", ", Faults.Select(p => $"{p.Key} {p.Value}"))}",
        };
        lines.AddRange(RecoverySeconds.Select(p => $"recovery after {p.Key} (s): p50 {P(p.Value, 0.5)}, p99 {P(p.Value, 0.99)}, max {P(p.Value, 1)} over {p.Value.Count}"));
        lines.AddRange(Stuck.Concat(DuplicateCompletions).Concat(BadDatasets).Concat(DeafProcesses).Select(x => "  ! " + x));
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// Drives a fleet with a steady mix of short tasks (and one long training) while faults land at seeded random moments:
/// broker restarts, kill -9 of workers and of the gateway, PostgreSQL and S3 restarts. The driver also plays the
/// supervisor: a killed worker or gateway is started again, as compose or Kubernetes would.
/// </summary>
public sealed class ChaosRun(ChaosPlan plan, Action<string> log)
{
    private static readonly string[] WorkerProjects = ["Workers.Ingest", "Workers.Train", "Workers.Serve"];
    private const int DatasetRows = 400;

    private readonly Random _random = new(plan.Seed);
    private readonly ChaosReport _report = new();
    private readonly List<(Guid Id, string Name, bool WritesDataset)> _tasks = [];
    private LocalFleet _fleet = null!;
    private readonly List<(string Project, ManagedProcess Process)> _workers = [];

    public async Task<ChaosReport> RunAsync()
    {
        var lakeRoot = $"s3://{ServicesEnvironment.Get("S3__Bucket")}/chaos-{Guid.NewGuid():N}";
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions
        {
            Workers = [],
            Settings = FleetProbes.FaultRunSettings(lakeRoot),
        });
        _fleet = fleet;
        foreach (var project in WorkerProjects.Append("Workers.Train")) _workers.Add((project, fleet.StartWorker(project)));
        await FleetProbes.WaitUntilAsync(async () => await fleet.LiveWorkerCountAsync() >= _workers.Count, TimeSpan.FromSeconds(90), "every worker heartbeating");

        var faults = Schedule();
        log($"chaos run: seed {plan.Seed}, {plan.Duration.TotalMinutes:0.#} min, {faults.Count} faults");
        var clock = Stopwatch.StartNew();
        await Submit("long-training", "training", seconds: 25, rows: 0);
        var nextFault = 0;
        while (clock.Elapsed < plan.Duration)
        {
            if (nextFault < faults.Count && clock.Elapsed >= faults[nextFault].At)
                await InjectAsync(faults[nextFault++].Kind);
            var writes = _random.NextDouble() < 0.3;
            await Submit($"step-{_tasks.Count}", _random.NextDouble() < 0.5 ? "ingestion" : "training",
                seconds: 0.5 + _random.NextDouble() * 2.5, rows: writes ? DatasetRows : 0);
            await Task.Delay(TimeSpan.FromMilliseconds(700 + _random.Next(600)));
        }
        while (nextFault < faults.Count) await InjectAsync(faults[nextFault++].Kind);

        log("faults done; waiting for every task to end");
        await ReplaceDeadWorkersAsync();
        await CheckEndStateAsync();
        return _report;
    }

    /// <summary>Every fault kind its planned number of times, at seeded random moments spread over the run.</summary>
    private List<(TimeSpan At, string Kind)> Schedule()
    {
        var kinds = Enumerable.Repeat("broker restart", plan.BrokerRestarts)
            .Concat(Enumerable.Repeat("worker kill", plan.WorkerKills))
            .Concat(Enumerable.Repeat("gateway kill", plan.GatewayKills))
            .Concat(Enumerable.Repeat("postgres restart", plan.PostgresRestarts))
            .Concat(Enumerable.Repeat("s3 restart", plan.S3Restarts))
            .OrderBy(_ => _random.Next()).ToList();
        var slot = plan.Duration / (kinds.Count + 1);
        return kinds.Select((kind, i) => (slot * (i + 1) + slot * (_random.NextDouble() - 0.5) * 0.5, kind)).ToList();
    }

    private async Task Submit(string name, string type, double seconds, int rows)
    {
        var unique = $"{name}-{Guid.NewGuid():N}"[..Math.Min(name.Length + 9, 60)];
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var id = await _fleet.Http.SubmitTaskAsync(new { type, name = unique, script = "chaos_step.csx", output = unique, @params = new { seconds, rows } });
                _tasks.Add((id, unique, rows > 0));
                _report.Submitted++;
                return;
            }
            catch (Exception e) when (attempt < 40 && e is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                // The gateway or its database is down right now: a client retries, as users' clients do.
                await Task.Delay(500);
            }
        }
    }

    private async Task InjectAsync(string kind)
    {
        log($"fault: {kind}");
        _report.Faults[kind] = _report.Faults.GetValueOrDefault(kind) + 1;
        var started = Stopwatch.StartNew();
        switch (kind)
        {
            case "broker restart":
                await ServicesEnvironment.RestartRabbitMqAsync();
                started.Restart(); // recovery counts from the broker being back
                await WaitForConsumersAsync();
                break;
            case "worker kill":
                var index = _random.Next(_workers.Count);
                var (project, process) = _workers[index];
                process.KillHard();
                await Task.Delay(TimeSpan.FromSeconds(1 + _random.NextDouble() * 3));
                _workers[index] = (project, _fleet.StartWorker(project));
                _report.ReplacedWorkers++;
                await WaitForConsumersAsync();
                break;
            case "gateway kill":
                await _fleet.RestartGatewayAsync(TimeSpan.FromSeconds(2 + _random.NextDouble() * 8));
                break;
            case "postgres restart":
                await ServicesEnvironment.RestartPostgresAsync();
                // The driver's own pooled connections died with the server, as the fleet's did.
                Npgsql.NpgsqlConnection.ClearAllPools();
                started.Restart();
                await WaitForGatewayAnswersAsync();
                break;
            case "s3 restart":
                await ServicesEnvironment.RestartS3Async();
                break;
        }
        if (!_report.RecoverySeconds.TryGetValue(kind, out var times)) _report.RecoverySeconds[kind] = times = [];
        times.Add(started.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Every task queue has as many consumers as workers of its kind: nobody deaf. The supervisor keeps working while it
    /// waits: a worker that gives up on its broker link exits on purpose (after Worker:RecoveryTimeout), and a wait that
    /// did not start another would time out on a worker that did exactly what it should.
    /// </summary>
    private async Task WaitForConsumersAsync()
    {
        var expected = new Dictionary<string, int>
        {
            ["ingest-tasks"] = _workers.Count(w => w.Project == "Workers.Ingest"),
            ["train-tasks"] = _workers.Count(w => w.Project == "Workers.Train"),
        };
        try
        {
            await FleetProbes.WaitUntilAsync(async () =>
            {
                ReplaceExitedWorkers();
                var consumers = await FleetProbes.QueueConsumersAsync(_fleet);
                return expected.All(e => consumers.GetValueOrDefault(e.Key) >= e.Value);
            }, TimeSpan.FromMinutes(3), "every worker consuming its queue again");
        }
        catch (TimeoutException e)
        {
            var consumers = await FleetProbes.QueueConsumersAsync(_fleet);
            var workers = _workers.Select(w => $"{w.Project} pid {w.Process.Id} {(w.Process.HasExited ? $"exited {w.Process.ExitCode}" : "alive")} (log {w.Process.LogPath})");
            throw new TimeoutException($"{e.Message}; consumers: {string.Join(", ", consumers.Where(q => expected.ContainsKey(q.Key)).Select(q => $"{q.Key} {q.Value}"))}; " +
                $"workers: {string.Join("; ", workers)}", e);
        }
    }

    /// <summary>A worker that exited by itself is started again, as compose's or Kubernetes' restart policy would.</summary>
    private void ReplaceExitedWorkers()
    {
        for (var i = 0; i < _workers.Count; i++)
        {
            if (!_workers[i].Process.HasExited) continue;
            log($"{_workers[i].Project} exited by itself (code {_workers[i].Process.ExitCode}); starting another");
            _workers[i] = (_workers[i].Project, _fleet.StartWorker(_workers[i].Project));
            _report.ReplacedWorkers++;
        }
    }

    private async Task WaitForGatewayAnswersAsync() =>
        await FleetProbes.WaitUntilAsync(async () =>
        {
            try
            {
                using var response = await _fleet.Http.GetAsync("/api/v1/tasks?limit=1");
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromMinutes(2), "the gateway answering after the database restart");

    /// <summary>A worker that gave up on its broker link exits on purpose; the supervisor's job is to start another.</summary>
    private async Task ReplaceDeadWorkersAsync()
    {
        ReplaceExitedWorkers();
        if (_fleet.Gateway.HasExited)
        {
            log($"the gateway exited by itself (code {_fleet.Gateway.ExitCode}); starting another");
            await _fleet.RestartGatewayAsync(TimeSpan.Zero);
        }
        await WaitForConsumersAsync();
    }

    private async Task CheckEndStateAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        var finals = new Dictionary<Guid, JsonNode>();
        while (finals.Count < _tasks.Count && DateTime.UtcNow < deadline)
        {
            foreach (var (id, _, _) in _tasks.Where(t => !finals.ContainsKey(t.Id)))
            {
                var task = await _fleet.Http.GetTaskAsync(id);
                if (task["status"]!.GetValue<string>() is "completed" or "failed" or "cancelled") finals[id] = task;
            }
            if (finals.Count < _tasks.Count) await Task.Delay(1000);
        }

        foreach (var (id, name, writesDataset) in _tasks)
        {
            if (!finals.TryGetValue(id, out var task))
            {
                var now = await _fleet.Http.GetTaskAsync(id);
                _report.Stuck.Add($"task {name} is still {now["status"]} (attempt {now["attempts"]}): {now["error"] ?? now["waiting_reason"]}");
                continue;
            }
            var status = task["status"]!.GetValue<string>();
            _report.FinalStates[status] = _report.FinalStates.GetValueOrDefault(status) + 1;
            if (task["attempts"]!.GetValue<int>() > 1) _report.Reruns++;

            using var events = await _fleet.Http.GetAsync($"/api/v1/tasks/{id}/events");
            var completedAttempts = JsonNode.Parse(await events.Content.ReadAsStringAsync())!.AsArray()
                .Where(e => e!["kind"]!.GetValue<string>() == "completed").Select(e => e!["attempt"]!.GetValue<int>()).Distinct().Count();
            if (completedAttempts > 1) _report.DuplicateCompletions.Add($"task {name} completed in {completedAttempts} attempts");

            if (writesDataset) await CheckDatasetAsync(name, status);
        }

        var live = await _fleet.LiveWorkerCountAsync();
        if (live < _workers.Count) _report.DeafProcesses.Add($"{_workers.Count - live} of {_workers.Count} worker processes send no heartbeats");
        var consumers = await FleetProbes.QueueConsumersAsync(_fleet);
        using (var health = await _fleet.Http.GetAsync("/healthz"))
        {
            var link = JsonNode.Parse(await health.Content.ReadAsStringAsync())?["checks"]?["broker-link"];
            if (link?["status"]?.GetValue<string>() != "healthy") _report.DeafProcesses.Add($"the gateway's broker link is not healthy: {link?.ToJsonString()}");
        }
        foreach (var queue in new[] { "ingest-tasks", "train-tasks" })
            if (consumers.GetValueOrDefault(queue) == 0) _report.DeafProcesses.Add($"no consumer on {queue}");
    }

    /// <summary>A completed task's dataset has every row; any other task's dataset is absent or whole, never partial.</summary>
    private async Task CheckDatasetAsync(string name, string status)
    {
        long? rows;
        try
        {
            rows = await FleetProbes.DatasetRowsAsync(_fleet, name);
        }
        catch (InvalidOperationException e)
        {
            _report.BadDatasets.Add(e.Message);
            return;
        }
        if (rows is null)
        {
            if (status == "completed") _report.BadDatasets.Add($"dataset {name} of a completed task is missing");
            return;
        }
        if (rows != DatasetRows) _report.BadDatasets.Add($"dataset {name} has {rows} rows, not {DatasetRows}");
    }
}
