using System.Diagnostics;
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
        await OutsideTaskScope(() => publisher.Publish(message, message.GetType(), limit.Token)).WaitAsync(timeout, ct);
    }

    /// <summary>
    /// Runs a bus call with the current span but none of the caller's other flowing state (a task's log scope). After a
    /// broker outage, the first call that needs the broker re-creates the connection, and its loops keep the caller's
    /// execution context: every message later consumed on it ran inside that task's log scope ("=> task A => task B").
    /// </summary>
    private static Task OutsideTaskScope(Func<Task> call)
    {
        var span = Activity.Current;
        using (ExecutionContext.SuppressFlow())
            return Task.Run(() =>
            {
                Activity.Current = span;
                return call();
            });
    }
}
