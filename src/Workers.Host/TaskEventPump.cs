using System.Threading.Channels;
using AiPlatform.Messages;
using AiPlatform.ScriptRunner;
using MassTransit;

namespace AiPlatform.Workers.Host;

/// <summary>
/// Turns a script's progress and log callbacks into bus events, in order and off the script's thread. Progress is
/// coalesced to a few events a second. Progress carrying metrics (an epoch's loss) has a budget of its own, so an
/// epoch's figures are never dropped, yet a script reporting metrics in a tight loop cannot flood the bus.
/// </summary>
internal sealed class TaskEventPump : IScriptObserver, IAsyncDisposable
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private const double MetricsBurst = 20;
    private const double MetricsPerSecond = 10;

    private readonly ITaskCommand _command;
    private readonly string _workerId;
    private readonly IPublishEndpoint _publisher;
    private readonly TimeSpan _publishTimeout;
    private readonly Channel<object> _events = Channel.CreateBounded<object>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true,
    });
    private readonly Task _pumping;
    private DateTimeOffset _lastProgress = DateTimeOffset.MinValue;
    private double _metricsTokens = MetricsBurst;
    private DateTimeOffset _metricsRefilledAt = DateTimeOffset.UtcNow;

    public TaskEventPump(ITaskCommand command, string workerId, IPublishEndpoint publisher, TimeSpan publishTimeout)
    {
        _command = command;
        _workerId = workerId;
        _publisher = publisher;
        _publishTimeout = publishTimeout;
        _pumping = PumpAsync();
    }

    public void OnProgress(ScriptProgressed progress)
    {
        var now = DateTimeOffset.UtcNow;
        if (!(progress.MetricsJson is not null && TakeMetricsToken(now)) && now - _lastProgress < ProgressInterval) return;
        _lastProgress = now;
        _events.Writer.TryWrite(new TaskProgressed(_command.TaskId, _command.Attempt, _workerId, now, progress.Fraction, progress.Message,
            progress.MetricsJson));
    }

    private bool TakeMetricsToken(DateTimeOffset now)
    {
        _metricsTokens = Math.Min(MetricsBurst, _metricsTokens + (now - _metricsRefilledAt).TotalSeconds * MetricsPerSecond);
        _metricsRefilledAt = now;
        if (_metricsTokens < 1) return false;
        _metricsTokens--;
        return true;
    }

    public void OnLog(ScriptLogged log) =>
        _events.Writer.TryWrite(new TaskLogged(_command.TaskId, _command.Attempt, _workerId, DateTimeOffset.UtcNow, log.Level, log.Message));

    private async Task PumpAsync()
    {
        await foreach (var message in _events.Reader.ReadAllAsync())
        {
            try
            {
                await _publisher.PublishWithin(message, _publishTimeout);
            }
            catch (Exception)
            {
                // Progress and logs are advisory (a publish that hangs through an outage is abandoned, so the final
                // event is never held up behind it); the final event is published with retries by the executor.
            }
        }
    }

    /// <summary>Flushes what is queued, so the final event never overtakes the last progress.</summary>
    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _pumping;
    }
}
