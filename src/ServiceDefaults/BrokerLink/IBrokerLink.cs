namespace AiPlatform.ServiceDefaults.BrokerLink;

/// <summary>What a process knows of its own link to the message broker, as its <see cref="BrokerLinkWatchdog"/> asks it.</summary>
public interface IBrokerLink
{
    /// <summary>Null when the link is healthy (connected, every receive endpoint consuming...), otherwise why not.</summary>
    string? Problem();

    /// <summary>Whether the broker accepts connections at all: recovery is only owed once it is back.</summary>
    Task<bool> BrokerReachableAsync(CancellationToken ct);

    /// <summary>Called when the link is healthy again after a problem, so the process can speak up at once.</summary>
    void Recovered();
}

/// <summary>How long a process may take to get its broker link healthy before it exits for its supervisor to replace it.</summary>
/// <param name="RecoveryTimeout">Unhealthy time allowed once the broker is reachable again.</param>
/// <param name="StartupTimeout">Time a starting process may take to become healthy with the broker reachable.</param>
/// <param name="ShutdownGracePeriod">How long a process that gave up may take to stop before it exits regardless.</param>
public sealed record BrokerLinkTimings(TimeSpan RecoveryTimeout, TimeSpan StartupTimeout, TimeSpan ShutdownGracePeriod);
