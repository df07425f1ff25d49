using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>
/// A worker comes back from a broker outage or dies loudly. Once the broker is reachable again, the worker has
/// <see cref="WorkerOptions.RecoveryTimeout"/> to be healthy (connected, every endpoint consuming, heartbeats going out);
/// otherwise it stops its tasks (their commands go back to the queue with its connection), says why, and exits non-zero
/// so its supervisor (compose restart policy, a Kubernetes liveness probe, the local fleet) starts a fresh one.
/// </summary>
public sealed class WorkerWatchdog(
    BusLiveness liveness,
    IHostApplicationLifetime lifetime,
    IOptions<WorkerOptions> options,
    TimeProvider clock,
    ILogger<WorkerWatchdog> logger) : BackgroundService, IHealthCheck
{
    /// <summary>The exit code of a worker that gave up on its broker link (EX_TEMPFAIL: try again).</summary>
    public const int DeafExitCode = 75;

    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private volatile string? _problem = "starting";
    private volatile bool _gaveUp;
    private DateTimeOffset? _unhealthySince;
    private DateTimeOffset? _brokerBackSince;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Judging starts once the bus has been healthy: a start can be slow (a busy machine, a broker still starting).
        // A worker that never gets there while the broker is reachable (refused credentials, say) gives up all the same.
        var startedAt = clock.GetUtcNow();
        while (liveness.Problem() is { } problem)
        {
            _problem = $"starting: {problem}";
            if (clock.GetUtcNow() - startedAt > options.Value.StartupTimeout && await liveness.BrokerReachableAsync(stoppingToken))
            {
                GiveUp($"it has not been healthy since it started {options.Value.StartupTimeout.TotalSeconds:0} s ago ({problem})");
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

    /// <summary>One look at the worker's health; true when the worker has given up and is stopping.</summary>
    internal async Task<bool> CheckAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var problem = liveness.Problem();
        var wasProblem = _problem;
        _problem = problem;
        if (problem is null)
        {
            if (_unhealthySince is { } since)
            {
                logger.LogInformation("Broker link healthy again after {Seconds:0.0} s", (now - since).TotalSeconds);
                liveness.RequestHeartbeat();
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

        if (!await liveness.BrokerReachableAsync(ct))
        {
            // An outage of any length is waited out; the clock starts when the broker is back.
            _brokerBackSince = null;
            return false;
        }
        _brokerBackSince ??= now;
        if (now - _brokerBackSince < options.Value.RecoveryTimeout) return false;

        GiveUp($"the broker has been reachable for {(now - _brokerBackSince.Value).TotalSeconds:0} s but this worker is still not healthy ({problem})");
        return true;
    }

    private void GiveUp(string why)
    {
        logger.LogCritical("Giving up: {Why}. Stopping so a supervisor starts a fresh worker; running tasks return to their queue.", why);
        _gaveUp = true;
        Environment.ExitCode = DeafExitCode;
        lifetime.StopApplication();
        // A bus that cannot reach its broker properly may also hang while stopping; the exit must not depend on it.
        _ = Task.Delay(options.Value.ShutdownGracePeriod, clock, CancellationToken.None)
            .ContinueWith(_ => Environment.Exit(DeafExitCode), TaskScheduler.Default);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_problem switch
        {
            null => HealthCheckResult.Healthy("connected, consuming, heartbeats going out"),
            var problem when _gaveUp => HealthCheckResult.Unhealthy($"{problem}; gave up and stopping"),
            var problem when _brokerBackSince is null => HealthCheckResult.Degraded($"{problem} (waiting for the broker)"),
            var problem => HealthCheckResult.Degraded($"{problem} (recovering)"),
        });
}
