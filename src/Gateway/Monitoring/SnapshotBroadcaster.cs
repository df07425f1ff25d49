using System.Text.Json;
using System.Threading.Channels;
using AiPlatform.Gateway.Alerts;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Monitoring;

/// <summary>
/// The one producer of queue and worker snapshots for every open event stream: one management-API call, one database
/// query and one serialization per interval however many pages are open, and none while no page is.
/// </summary>
public sealed class SnapshotBroadcaster(
    IServiceScopeFactory scopes,
    QueueMonitor queues,
    IOptions<TaskOptions> taskOptions,
    IOptions<StreamOptions> streamOptions,
    ILogger<SnapshotBroadcaster> logger) : BackgroundService
{
    private readonly Lock _lock = new();
    private readonly List<Channel<string>> _subscribers = [];
    private readonly SemaphoreSlim _wake = new(0);
    private (string Json, DateTimeOffset At)? _latest;

    /// <summary>The page shows the firing alerts and the latest resolved ones, up to this many in all.</summary>
    private const int ShownAlerts = 20;

    /// <summary>Snapshots as JSON, the latest first; a slow subscriber skips to the newest rather than queueing.</summary>
    public async IAsyncEnumerable<string> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_lock)
        {
            _subscribers.Add(channel);
            if (_latest is { } latest && DateTimeOffset.UtcNow - latest.At < streamOptions.Value.SnapshotInterval) channel.Writer.TryWrite(latest.Json);
            else _wake.Release();
        }
        try
        {
            await foreach (var snapshot in channel.Reader.ReadAllAsync(ct)) yield return snapshot;
        }
        finally
        {
            lock (_lock) _subscribers.Remove(channel);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(streamOptions.Value.SnapshotInterval, stoppingToken);
                bool anyone;
                lock (_lock) anyone = _subscribers.Count > 0;
                if (!anyone) continue;
                var json = await ProduceAsync(stoppingToken);
                lock (_lock)
                {
                    _latest = (json, DateTimeOffset.UtcNow);
                    foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(json);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database may be restarting: pages keep their last snapshot and get the next one.
                logger.LogWarning("Monitoring snapshot failed: {Message}", e.Message);
            }
        }
    }

    private async Task<string> ProduceAsync(CancellationToken ct)
    {
        IReadOnlyList<QueueView> queueList;
        try
        {
            queueList = await queues.GetQueuesAsync(ct);
        }
        catch (HttpRequestException)
        {
            queueList = [];
        }
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var workers = await MonitoringEndpoints.WorkersAsync(db, taskOptions.Value, ct);
        var alerts = (await scope.ServiceProvider.GetRequiredService<AlertStore>().ListAsync(null, ShownAlerts, ct)).Select(AlertView.From);
        return JsonSerializer.Serialize(new { queues = queueList, workers, alerts }, MonitoringEndpoints.JsonOptions);
    }
}
