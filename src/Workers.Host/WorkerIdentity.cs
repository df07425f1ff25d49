using System.Reflection;

namespace AiPlatform.Workers.Host;

/// <summary>Who this process is in the fleet; the id is unique per process start.</summary>
public sealed class WorkerIdentity(string kind)
{
    public string Kind { get; } = kind;
    public string Host { get; } = Environment.MachineName;
    public int ProcessId { get; } = Environment.ProcessId;
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>The build this worker runs (informational version, with the commit when the build knew it), so a mixed fleet shows.</summary>
    public string Version { get; } = (Assembly.GetEntryAssembly() ?? typeof(WorkerIdentity).Assembly)
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public string WorkerId { get; } = $"{kind}-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
}
