using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace AiPlatform.Workers.Host;

/// <summary>Asks the gateway (which holds the registry) where a model alias points now.</summary>
public sealed class ModelAliasLookup(IBus bus, ILogger<ModelAliasLookup> logger)
{
    private static readonly RequestTimeout AnswerTimeout = RequestTimeout.After(s: 5);

    /// <param name="project">The project of the service that follows it.</param>
    /// <param name="reference">An alias reference, <c>fashion-cnn@production</c>.</param>
    /// <returns>The alias' pointer, or null when no gateway answered (the caller keeps what it has and asks again later).</returns>
    public async Task<ModelAliasPointer?> TryResolveAsync(string project, string reference, CancellationToken cancellation)
    {
        var at = reference.LastIndexOf('@');
        try
        {
            var client = bus.CreateRequestClient<ResolveModelAlias>(AnswerTimeout);
            var answer = await client.GetResponse<ModelAliasPointer>(new ResolveModelAlias(reference[..at], reference[(at + 1)..], project), cancellation);
            return answer.Message;
        }
        catch (Exception e) when (e is RequestTimeoutException or RequestFaultException)
        {
            logger.LogWarning("Could not learn where {Reference} points now: {Error}", reference, e.Message);
            return null;
        }
    }
}
