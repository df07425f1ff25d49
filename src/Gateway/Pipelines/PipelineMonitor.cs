using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>Settings under <c>Pipelines:</c>.</summary>
public sealed class PipelineOptions
{
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a finished step task may go unnoticed by its run before the monitor reports it (its event was lost).</summary>
    public TimeSpan FinishedTaskGrace { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>A run still pending after this long lost its start message and is started again.</summary>
    public TimeSpan UnstartedTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>An action step unanswered for this long has its action sent again (actions are idempotent).</summary>
    public TimeSpan ActionResendAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often each gateway looks for scheduled runs that are due.</summary>
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A scheduled run reached later than this (every gateway was down) is reported missed instead of started.</summary>
    public TimeSpan ScheduleGrace { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// What events alone cannot do: starts retries whose backoff has passed, reports step tasks that ended without an
/// event reaching their run, and re-sends a lost start. Everything it sends is idempotent at the saga.
/// </summary>
public sealed class PipelineMonitor(IServiceScopeFactory scopes, IBus bus, IOptions<PipelineOptions> options, ILogger<PipelineMonitor> logger)
    : BackgroundService
{
    // When each unanswered action was last sent from here; its first send was the saga's, when the step started.
    private readonly Dictionary<Guid, DateTimeOffset> _actionsSent = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MonitorInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database or the broker is away; the next tick tries again.
                logger.LogWarning("Pipeline sweep failed: {Message}", e.Message);
            }
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var now = DateTimeOffset.UtcNow;
        // Braces doubled: FromSqlRaw reads single ones as parameter placeholders. xmin is the row version, which EF needs.
        var runs = await db.PipelineRuns.FromSqlRaw(
                """SELECT *, xmin FROM pipeline_runs WHERE "CurrentState" IN ('Pending', 'Running') OR "StepsJson" @> '[{{"state": "running"}}]'""")
            .AsNoTracking().ToListAsync(ct);
        foreach (var run in runs)
        {
            if (run.CurrentState == PipelineRunStatuses.PendingState)
            {
                if (now - run.CreatedAt > options.Value.UnstartedTimeout) await bus.Publish(new PipelineRunSubmitted(run.CorrelationId), ct);
                continue;
            }
            var steps = run.Steps();
            if (run.CurrentState == PipelineRunStatuses.RunningState && steps.Any(s => s.State == StepStates.Retrying && s.RetryAt <= now))
                await bus.Publish(new PipelineRunDue(run.CorrelationId), ct);
            foreach (var step in steps.Where(s => s.State == StepStates.Running && s.Action is not null))
                await ResendLateActionAsync(step, now, ct);
            var running = steps.Where(s => s.State == StepStates.Running && s.Action is null).Select(s => s.TaskId!.Value).ToList();
            if (running.Count == 0) continue;
            var cutoff = now - options.Value.FinishedTaskGrace;
            var ended = await db.Tasks.AsNoTracking()
                .Where(t => running.Contains(t.CorrelationId) && TaskStatuses.FinalStates.Contains(t.CurrentState) && t.FinishedAt < cutoff)
                .ToListAsync(ct);
            foreach (var task in ended) await bus.Publish(PipelineTaskEvents.FromTask(task), ct);
        }
        var unanswered = runs.SelectMany(r => r.Steps()).Where(s => s.State == StepStates.Running && s.Action is not null).Select(s => s.TaskId!.Value).ToHashSet();
        foreach (var answered in _actionsSent.Keys.Where(id => !unanswered.Contains(id)).ToList()) _actionsSent.Remove(answered);
    }

    private async Task ResendLateActionAsync(StepRun step, DateTimeOffset now, CancellationToken ct)
    {
        var actionId = step.TaskId!.Value;
        var lastSent = _actionsSent.GetValueOrDefault(actionId, step.StartedAt ?? now);
        if (now - lastSent < options.Value.ActionResendAfter) return;
        logger.LogInformation("Action step {Step} ({ActionId}) has no answer after {Seconds:F0} s; sending it again", step.Name, actionId, (now - lastSent).TotalSeconds);
        await bus.Publish(StepActions.Deserialize(step.Action!), ct);
        _actionsSent[actionId] = now;
    }
}
