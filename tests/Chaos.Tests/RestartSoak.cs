using System.Diagnostics;
using AiPlatform.Fleet;

namespace AiPlatform.Chaos.Tests;

/// <summary>What a restart soak saw, per fault kind: rounds, how tasks ended, and every task that ran more than once.</summary>
public sealed class SoakReport
{
    public Dictionary<string, int> Rounds { get; } = [];
    public Dictionary<string, int> FinalStates { get; } = [];
    public List<string> RunTwice { get; } = [];
    public List<string> NotCompleted { get; } = [];
    public List<double> BrokerBackToConsumingSeconds { get; } = [];

    public override string ToString() => string.Join(Environment.NewLine, new[]
    {
        $"restarts mid-task: {string.Join(", ", Rounds.Select(p => $"{p.Key} {p.Value}"))}",
        $"final states: {string.Join(", ", FinalStates.Select(p => $"{p.Key} {p.Value}"))}; tasks run more than once: {RunTwice.Count}",
        $"broker back -> every worker consuming (s): p50 {FleetProbes.Quantile(BrokerBackToConsumingSeconds, 0.5)}, " +
            $"p99 {FleetProbes.Quantile(BrokerBackToConsumingSeconds, 0.99)}, max {FleetProbes.Quantile(BrokerBackToConsumingSeconds, 1)} over {BrokerBackToConsumingSeconds.Count}",
    }.Concat(RunTwice.Concat(NotCompleted).Select(x => "  ! " + x)));
}

/// <summary>
/// The issue's "no task runs twice" measurement: round after round, a task is caught mid-run by a broker restart or a
/// kill -9 of the gateway (down for up to 15 s, longer than the monitor's heartbeat timeout), and must finish in its
/// first attempt. A second attempt means the monitor judged the first lost while its completion was on its way.
/// </summary>
public sealed class RestartSoak(int rounds, int seed, Action<string> log)
{
    private readonly Random _random = new(seed);
    private readonly SoakReport _report = new();

    public async Task<SoakReport> RunAsync()
    {
        var lakeRoot = Path.Combine(Path.GetTempPath(), "aiplatform-tests", "soak-" + Guid.NewGuid().ToString("N")[..8]);
        await using var fleet = await LocalFleet.StartAsync(new FleetOptions
        {
            Workers = ["Workers.Ingest", "Workers.Train"],
            Settings = FleetProbes.FaultRunSettings(lakeRoot),
            RestartWorkersThatGiveUp = true,
        });
        var faults = Enumerable.Repeat("broker restart", rounds).Concat(Enumerable.Repeat("gateway kill", rounds)).OrderBy(_ => _random.Next()).ToList();
        foreach (var (fault, round) in faults.Select((f, i) => (f, i + 1)))
        {
            var type = _random.Next(2) == 0 ? "ingestion" : "training";
            var id = await fleet.Http.SubmitTaskAsync(new
            {
                type, name = $"soak-{round}-{Guid.NewGuid():N}"[..20], script = "chaos_step.csx", @params = new { seconds = 3 + _random.NextDouble() * 3, rows = 0 },
            });
            await WaitForStartAsync(fleet, id);
            log($"round {round}: {fault} while task {id} runs");
            if (fault == "broker restart") await RestartBrokerAsync(fleet);
            else await fleet.RestartGatewayAsync(TimeSpan.FromSeconds(1 + _random.NextDouble() * 14));
            _report.Rounds[fault] = _report.Rounds.GetValueOrDefault(fault) + 1;

            var task = await fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromMinutes(3), "completed", "failed", "cancelled");
            var status = task["status"]!.GetValue<string>();
            _report.FinalStates[status] = _report.FinalStates.GetValueOrDefault(status) + 1;
            if (status != "completed") _report.NotCompleted.Add($"round {round} ({fault}): task {id} ended {status}: {task["error"]}");
            var ran = await fleet.Http.AttemptsThatRanAsync(id);
            if (ran > 1) _report.RunTwice.Add($"round {round} ({fault}): task {id} ran in {ran} attempts ({task["attempts"]} dispatched)");
        }
        return _report;
    }

    /// <summary>Waits for the task to start; if it never does, says first what RabbitMQ shows, which the task's own record cannot.</summary>
    private static async Task WaitForStartAsync(LocalFleet fleet, Guid id)
    {
        try
        {
            await fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromSeconds(90), "running");
        }
        catch (TimeoutException e)
        {
            var queues = await FleetProbes.QueueConsumersAsync(fleet);
            throw new TimeoutException($"consumers per queue: {string.Join(", ", queues.Select(q => $"{q.Key} {q.Value}"))}. {e.Message}", e);
        }
    }

    private async Task RestartBrokerAsync(LocalFleet fleet)
    {
        await ServicesEnvironment.RestartRabbitMqAsync();
        var back = Stopwatch.StartNew();
        await FleetProbes.WaitForConsumersAsync(fleet, new Dictionary<string, int> { ["ingest-tasks"] = 1, ["train-tasks"] = 1 });
        _report.BrokerBackToConsumingSeconds.Add(back.Elapsed.TotalSeconds);
    }
}
