using System.Globalization;
using AiPlatform.Messages;
using AiPlatform.ScriptRunner;

namespace AiPlatform.Workers.Host;

/// <summary>
/// How a task's declared resources are held on this worker. Memory: the script runs in a runner process of its own
/// whose managed heap is capped by the runtime (<c>DOTNET_GCHeapHardLimit</c>: an allocation past it throws
/// OutOfMemoryException in the script) and whose whole resident memory (native buffers, tensors, the runtime itself)
/// is watched by <see cref="RunnerWatch"/>, which stops the process once it is over. Cpu: the runner is told how many
/// cores it has (<c>DOTNET_PROCESSOR_COUNT</c>, the BLAS and OpenMP thread counts), so its thread pools are sized to
/// them, and is throttled to the declared share by <see cref="CpuQuota"/> where the worker has a cpu controller. The
/// worker's own limits hold every task, by the same watch:
/// <see cref="WorkerOptions.TaskCpuTimeLimit"/>, and <see cref="WorkerOptions.TaskMemoryLimitMiB"/> for tasks that declare no memory.
/// </summary>
public static class ResourceLimits
{
    private const long MiB = 1024 * 1024;

    /// <summary>Why this worker can never run the task (it asks more than the worker offers); null when it fits.</summary>
    public static string? Shortfall(TaskResources resources, WorkerOptions options, string kind)
    {
        if (resources.Cpu is { } cpu && cpu > options.CpuCapacity)
            return $"the task needs {cpu.ToString(CultureInfo.InvariantCulture)} cpu, but {kind} workers offer " +
                   $"{options.CpuCapacity.ToString(CultureInfo.InvariantCulture)} (Worker:CpuCapacity)";
        if (resources.MemoryMiB is { } memory && memory > options.MemoryCapacityMiB)
            return $"the task needs {memory} MiB of memory, but {kind} workers offer {options.MemoryCapacityMiB} MiB (Worker:MemoryCapacityMiB)";
        return null;
    }

    /// <summary>The runner's environment for these resources; empty when nothing calls for a runner of its own.</summary>
    public static IReadOnlyDictionary<string, string> RunnerEnvironment(TaskResources? resources)
    {
        var environment = new Dictionary<string, string>();
        if (resources?.MemoryMiB is { } memory)
            // The runtime reads this number as hexadecimal.
            environment["DOTNET_GCHeapHardLimit"] = (memory * MiB).ToString("X", CultureInfo.InvariantCulture);
        if (resources?.Cpu is { } cpu)
        {
            var cores = Math.Max(1, (int)Math.Ceiling(cpu)).ToString(CultureInfo.InvariantCulture);
            environment["DOTNET_PROCESSOR_COUNT"] = cores;
            foreach (var name in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" }) environment[name] = cores;
        }
        return environment;
    }

    public static string MemoryExceeded(int limitMiB, string detail) => $"memory limit {limitMiB} MiB exceeded: {detail}";

    public static string CpuTimeExceeded(TimeSpan limit, TimeSpan used) =>
        $"cpu time limit {Seconds(limit)} s exceeded (Worker:TaskCpuTimeLimit): the script used {Seconds(used)} s of cpu and was stopped";

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
}

/// <summary>
/// Stops a runner that goes over a limit of its task: resident memory (the managed heap limit cannot see native
/// memory) or CPU time (a script that spins would hold its slot and cores for ever). A cgroup is not something a
/// worker process can count on having (no delegation in most containers), so the worker reads /proc itself, every
/// <c>interval</c>. CPU time counts from the watch's start, since a pooled runner has run tasks before.
/// </summary>
public sealed class RunnerWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RunnerWatch(RunnerProcess runner, int? memoryLimitMiB, TimeSpan? cpuTimeLimit, TimeSpan interval)
    {
        var startCpu = ProcessTree.CpuTime(ProcessTree.TreeOf(runner.ProcessId));
        _loop = WatchAsync(runner, memoryLimitMiB * 1024L * 1024L, cpuTimeLimit, startCpu, interval, _stop.Token);
    }

    /// <summary>Why the watch stopped the process (the limit and what was seen over it); null when it did not.</summary>
    public string? Exceeded { get; private set; }

    private async Task WatchAsync(RunnerProcess runner, long? memoryLimit, TimeSpan? cpuTimeLimit, TimeSpan startCpu, TimeSpan interval,
        CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (runner.HasExited) return;
                var tree = ProcessTree.TreeOf(runner.ProcessId);
                if (memoryLimit is { } limit && tree.Sum(ProcessTree.ResidentBytes) is var resident && resident > limit)
                    Exceeded = ResourceLimits.MemoryExceeded((int)(limit / (1024 * 1024)),
                        $"the script's process reached {resident / (1024 * 1024)} MiB resident and was stopped");
                else if (cpuTimeLimit is { } cpuLimit && ProcessTree.CpuTime(tree) - startCpu is var used && used > cpuLimit)
                    Exceeded = ResourceLimits.CpuTimeExceeded(cpuLimit, used);
                else continue;
                runner.Kill();
                return;
            }
        }
        catch (OperationCanceledException)
        {
            // The script ended first.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
