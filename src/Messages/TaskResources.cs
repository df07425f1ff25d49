namespace AiPlatform.Messages;

/// <summary>
/// What a task declares it needs: cpu (cores, fractions allowed) and memory (MiB). The worker runs a task only when it
/// fits its capacity, and runs a task that names memory in a script-runner process of its own, held to that limit.
/// </summary>
public sealed record TaskResources(double? Cpu, int? MemoryMiB)
{
    public const double MaxCpu = 256;
    public const int MinMemoryMiB = 64;
    public const int MaxMemoryMiB = 4 * 1024 * 1024;
}
