using System.Diagnostics;
using AiPlatform.Messages;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>
/// The load a heartbeat reports: CPU and resident memory of the worker with its script runners (where the work runs),
/// CPU as the cores used between two samples (a runner that ended meanwhile is counted in the time of its parent,
/// which waited for it).
/// </summary>
public sealed class WorkerLoadSampler(IOptions<WorkerOptions> options)
{
    private readonly Lock _lock = new();
    private (TimeSpan Cpu, long At)? _previous;

    public WorkerLoad Sample()
    {
        var tree = ProcessTree.TreeOf(Environment.ProcessId);
        var cpu = ProcessTree.CpuTime(tree);
        var now = Stopwatch.GetTimestamp();
        double cores;
        lock (_lock)
        {
            cores = _previous is { } previous && now > previous.At
                ? Math.Max(0, (cpu - previous.Cpu).TotalSeconds / Stopwatch.GetElapsedTime(previous.At, now).TotalSeconds)
                : 0;
            _previous = (cpu, now);
        }
        return new WorkerLoad(Math.Round(cores, 3), tree.Sum(ProcessTree.ResidentBytes), options.Value.CpuCapacity, options.Value.MemoryCapacityMiB);
    }
}
