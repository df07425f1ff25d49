using AiPlatform.Messages;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>
/// The share of this worker's cpu and memory its running tasks declared. With <c>Worker:Concurrency</c> above 1, a
/// task starts only once it fits beside the ones running; its command waits here (unacknowledged, so a worker that
/// dies hands it back). Tasks that declare nothing take nothing from the budget.
/// </summary>
public sealed class ResourceBudget(IOptions<WorkerOptions> options)
{
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(100);
    private readonly Lock _lock = new();
    private double _cpu;
    private long _memoryMiB;

    public async Task<IDisposable> ReserveAsync(TaskResources resources, CancellationToken ct)
    {
        var cpu = resources.Cpu ?? 0;
        var memory = resources.MemoryMiB ?? 0;
        while (true)
        {
            lock (_lock)
            {
                if (_cpu + cpu <= options.Value.CpuCapacity && _memoryMiB + memory <= options.Value.MemoryCapacityMiB)
                {
                    _cpu += cpu;
                    _memoryMiB += memory;
                    return new Reservation(this, cpu, memory);
                }
            }
            await Task.Delay(RecheckInterval, ct);
        }
    }

    private sealed class Reservation(ResourceBudget budget, double cpu, long memory) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            lock (budget._lock)
            {
                budget._cpu -= cpu;
                budget._memoryMiB -= memory;
            }
        }
    }
}
