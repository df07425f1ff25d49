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

    /// <summary>
    /// Sends a request and waits for one of two answers, all within <paramref name="timeout"/>, or throws
    /// <see cref="TimeoutException"/>. MassTransit's own request timeout starts only once the request is on its way, and
    /// a send caught in a broker reconnect can wait on a closed channel for good: a consumer awaiting it holds its
    /// message, and with it the worker's place in the queue, forever.
    /// </summary>
    public static async Task<Response<T1, T2>> GetResponseWithin<TRequest, T1, T2>(this IRequestClient<TRequest> client, TRequest request,
        TimeSpan timeout, CancellationToken ct)
        where TRequest : class where T1 : class where T2 : class
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            return await client.GetResponse<T1, T2>(request, limit.Token, RequestTimeout.After(ms: (int)timeout.TotalMilliseconds))
                .WaitAsync(timeout, ct);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer to {typeof(TRequest).Name} within {timeout.TotalSeconds:0.#} s");
        }
    }
}
