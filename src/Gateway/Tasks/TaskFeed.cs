using System.Threading.Channels;

namespace AiPlatform.Gateway.Tasks;

public sealed record TaskFeedItem(Guid TaskId, string Kind, DateTimeOffset Timestamp);

/// <summary>
/// In-process fan-out of "task X changed" notices to live subscribers (the monitoring page's event stream). A slow
/// subscriber loses its oldest notices rather than slowing the bus.
/// </summary>
public sealed class TaskFeed
{
    private readonly Lock _lock = new();
    private readonly List<Channel<TaskFeedItem>> _subscribers = [];

    public void Publish(TaskFeedItem item)
    {
        lock (_lock)
            foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(item);
    }

    public async IAsyncEnumerable<TaskFeedItem> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<TaskFeedItem>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_lock) _subscribers.Add(channel);
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(ct)) yield return item;
        }
        finally
        {
            lock (_lock) _subscribers.Remove(channel);
        }
    }
}
