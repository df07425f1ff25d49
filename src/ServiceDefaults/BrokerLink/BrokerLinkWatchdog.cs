using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AiPlatform.ServiceDefaults.BrokerLink;

/// <summary>
/// A process comes back from a broker outage or dies loudly. Once the broker is reachable again, the process has
/// <see cref="BrokerLinkTimings.RecoveryTimeout"/> to be healthy; otherwise it says why and exits non-zero, so its
/// supervisor (compose restart policy, a Kubernetes liveness probe, the local fleet) starts a fresh one. A deaf process
/// is worse than a dead one: nothing restarts it, and the work it should take waits in silence.
/// </summary>
public sealed class BrokerLinkWatchdog(
    IBrokerLink link,
    BrokerLinkTimings timings,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<BrokerLinkWatchdog> logger) : BackgroundService, IHealthCheck
{
    /// <summary>The exit code of a process that gave up on its broker link (EX_TEMPFAIL: try again).</summary>
    public const int DeafExitCode = 75;

    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private volatile string? _problem = "starting";
    private volatile bool _gaveUp;
    private DateTimeOffset? _unhealthySince;
    private DateTimeOffset? _brokerBackSince;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Judging starts once the link has been healthy: a start can be slow (a busy machine, a broker still starting).
        // A process that never gets there while the broker is reachable (refused credentials, say) gives up all the same.
        var startedAt = clock.GetUtcNow();
        while (link.Problem() is { } problem)
        {
            _problem = $"starting: {problem}";
            if (clock.GetUtcNow() - startedAt > timings.StartupTimeout && await link.BrokerReachableAsync(stoppingToken))
            {
                GiveUp($"it has not been healthy since it started {timings.StartupTimeout.TotalSeconds:0} s ago ({problem})");
                return;
            }
            await Task.Delay(CheckInterval, clock, stoppingToken);
        }
        using var timer = new PeriodicTimer(CheckInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (await CheckAsync(stoppingToken)) return;
        }
    }

    /// <summary>One look at the link's health; true when the process has given up and is stopping.</summary>
    internal async Task<bool> CheckAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var problem = link.Problem();
        var wasProblem = _problem;
        _problem = problem;
        if (problem is null)
        {
            if (_unhealthySince is { } since)
            {
                logger.LogInformation("Broker link healthy again after {Seconds:0.0} s", (now - since).TotalSeconds);
                link.Recovered();
            }
            _unhealthySince = _brokerBackSince = null;
            return false;
        }

        if (_unhealthySince is null)
        {
            _unhealthySince = now;
            logger.LogWarning("Broker link unhealthy: {Problem}", problem);
        }
        else if (problem != wasProblem)
        {
            logger.LogWarning("Broker link still unhealthy: {Problem}", problem);
        }

        if (!await link.BrokerReachableAsync(ct))
        {
            // An outage of any length is waited out; the clock starts when the broker is back.
            _brokerBackSince = null;
            return false;
        }
        _brokerBackSince ??= now;
        if (now - _brokerBackSince < timings.RecoveryTimeout) return false;

        GiveUp($"the broker has been reachable for {(now - _brokerBackSince.Value).TotalSeconds:0} s but this process is still not healthy ({problem})");
        return true;
    }

    private void GiveUp(string why)
    {
        logger.LogCritical("Giving up: {Why}. Stopping so a supervisor starts a fresh process; unacknowledged messages return to their queues.", why);
        _gaveUp = true;
        Environment.ExitCode = DeafExitCode;
        lifetime.StopApplication();
        // A bus that cannot reach its broker properly may also hang while stopping; the exit must not depend on it.
        _ = Task.Delay(timings.ShutdownGracePeriod, clock, CancellationToken.None)
            .ContinueWith(_ => Environment.Exit(DeafExitCode), TaskScheduler.Default);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_problem switch
        {
            null => HealthCheckResult.Healthy("connected and consuming"),
            var problem when _gaveUp => HealthCheckResult.Unhealthy($"{problem}; gave up and stopping"),
            var problem when _brokerBackSince is null => HealthCheckResult.Degraded($"{problem} (waiting for the broker)"),
            var problem => HealthCheckResult.Degraded($"{problem} (recovering)"),
        });
}
