// Task lifecycle benchmark on the real local services, side by side with Celery on the same RabbitMQ and PostgreSQL:
// dispatch latency (POST -> script running) with a per-stage breakdown, the database transactions and bus messages
// one task costs, and the throughput of trivial tasks with 1 and with 2 workers.
// usage: dotnet run -c Release --project bench/Platform.Bench [-- --latency-tasks 100 --throughput-tasks 300 --no-celery]
//        ... -- --sandbox-cost [--rounds 3]: the same figures with script runners unconfined and sandboxed, and their ratios.
//        ... -- --telemetry-cost [--rounds 3]: the same figures with metrics and tracing off and on (OTLP export, scrapes), and their ratios.
//        ... -- --submitters-cost [--rounds 3]: the same figures for one submitter and for four taking turns (runners are kept per submitter).
//        ... -- --memory-soak [--tasks 100000 --round 2000]: gateway and worker resident sets over many trivial tasks.
//        ... -- --containers-cost [--rounds 3]: the same figures on a host fleet and through the containerised deployment
//            (`bash eng/containers.sh up` first), one ingest worker each, and their ratios.
using AiPlatform.Fleet;
using Platform.Bench;

var latencyTasks = Option("--latency-tasks", 100);
var throughputTasks = Option("--throughput-tasks", 300);

Console.WriteLine($"Task lifecycle benchmark ({Environment.ProcessorCount} cores, {DateTime.UtcNow:u}, load {LoadAverage()})");
if (args.Contains("--sandbox-cost"))
{
    await SandboxCost.RunAsync(latencyTasks, throughputTasks, Option("--rounds", 3));
    return;
}
if (args.Contains("--submitters-cost"))
{
    await SubmittersCost.RunAsync(latencyTasks, throughputTasks, Option("--rounds", 3));
    return;
}
if (args.Contains("--containers-cost"))
{
    await ContainersCost.RunAsync(latencyTasks, throughputTasks, Option("--rounds", 3));
    return;
}
if (args.Contains("--memory-soak"))
{
    await MemorySoak.RunAsync(Option("--tasks", 100_000), Option("--round", 2_000));
    return;
}
if (args.Contains("--telemetry-cost"))
{
    await TelemetryCost.RunAsync(latencyTasks, throughputTasks, Option("--rounds", 3));
    return;
}
PlatformFigures platform;
await using (var fleet = await LocalFleet.StartAsync(new FleetOptions { Workers = ["Workers.Ingest"] }))
{
    var tasks = new TrivialTasks(fleet.Http);
    await tasks.RunBatchAsync(10);
    var traces = await tasks.TraceSequentialAsync(latencyTasks);
    DispatchBreakdown.Print(traces);

    var counters = new FleetCounters(fleet);
    var before = await counters.ReadAsync();
    var cpuBefore = CpuByRole.Read();
    var one = await tasks.RunBatchAsync(throughputTasks);
    var cpuOne = CpuByRole.Between(cpuBefore, CpuByRole.Read());
    var cost = (await counters.ReadAsync()) - before;
    Console.WriteLine($"per task: {cost.RowWrites / (double)throughputTasks:0.0} row writes, " +
                      $"{cost.Transactions / (double)throughputTasks:0.0} database transactions (the benchmark's own polls included), " +
                      $"{cost.Messages / (double)throughputTasks:0.0} bus messages (heartbeats included)");
    Console.WriteLine($"throughput, 1 ingest worker:  {one:0.0} tasks/s ({throughputTasks} tasks)");
    Console.WriteLine($"  CPU ms per task: {CpuByRole.PerTask(cpuOne, throughputTasks)}");

    fleet.StartWorker("Workers.Ingest");
    while (await fleet.LiveWorkerCountAsync("ingest") < 2) await Task.Delay(200);
    await tasks.RunBatchAsync(10);
    cpuBefore = CpuByRole.Read();
    var two = await tasks.RunBatchAsync(throughputTasks);
    var cpuTwo = CpuByRole.Between(cpuBefore, CpuByRole.Read());
    Console.WriteLine($"throughput, 2 ingest workers: {two:0.0} tasks/s ({throughputTasks} tasks); scaling x{two / one:0.00}");
    Console.WriteLine($"  CPU ms per task: {CpuByRole.PerTask(cpuTwo, throughputTasks)}");
    platform = new PlatformFigures(DispatchBreakdown.Percentile(traces.Select(t => t.ToScriptRunning), 50),
        DispatchBreakdown.Percentile(traces.Select(t => t.ToScriptRunning), 99), one, two);
}

if (!args.Contains("--no-celery"))
{
    Console.WriteLine();
    var celery = await CeleryReference.RunAsync(latencyTasks, throughputTasks);
    Console.WriteLine($"Celery {celery.Version} (acks_late, prefetch 1, results and STARTED state in PostgreSQL), same services, same run:");
    Console.WriteLine($"  dispatch apply_async -> task running: p50 {celery.DispatchP50Ms:0.0} ms, p99 {celery.DispatchP99Ms:0.0} ms");
    Console.WriteLine($"  throughput: 1 worker {celery.Throughput1:0.0} tasks/s, 2 workers {celery.Throughput2:0.0} tasks/s");
    Console.WriteLine("platform / Celery (latency: lower is better; throughput: higher is better):");
    Console.WriteLine($"  dispatch p50 x{platform.DispatchP50Ms / celery.DispatchP50Ms:0.00}, p99 x{platform.DispatchP99Ms / celery.DispatchP99Ms:0.00}");
    Console.WriteLine($"  throughput 1 worker x{platform.Throughput1 / celery.Throughput1:0.00}, 2 workers x{platform.Throughput2 / celery.Throughput2:0.00}");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}

internal sealed record PlatformFigures(double DispatchP50Ms, double DispatchP99Ms, double Throughput1, double Throughput2);
