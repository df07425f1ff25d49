using MassTransit;

namespace AiPlatform.Workers.Host;

internal static class PublishExtensions
{
    /// <summary>
    /// Publishes, or fails after <paramref name="timeout"/>: while the broker connection is being re-established a
    /// publish can wait indefinitely, and no loop of the worker may hang on one.
    /// </summary>
    public static async Task PublishWithin(this IPublishEndpoint publisher, object message, TimeSpan timeout, CancellationToken ct = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        await publisher.Publish(message, message.GetType(), limit.Token).WaitAsync(timeout, ct);
    }
}
