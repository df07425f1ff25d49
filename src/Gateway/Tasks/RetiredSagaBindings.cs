using AiPlatform.Messages;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Removes the saga queue's subscriptions to events it no longer handles. MassTransit binds an endpoint to the
/// exchange of every message it consumes but never unbinds one: on a broker that ran an older gateway, copies of those
/// events would still reach the saga's queue and pile up in its <c>_skipped</c> queue, flagged for a person.
/// </summary>
public sealed class RetiredSagaBindings(IOptions<RabbitMqOptions> rabbit, ILogger<RetiredSagaBindings> logger) : BackgroundService
{
    private const int NotFound = 404;
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(10);

    /// <summary>Progress went to <see cref="TaskProgressRecorder"/>; a claimed task's start to the timeline only.</summary>
    public static readonly IReadOnlyList<Type> Retired = [typeof(TaskProgressed), typeof(TaskStarted)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RemoveAsync(rabbit.Value, stoppingToken);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Retired bindings of the saga queue not checked yet ({Error}); trying again in {Interval} s", e.Message,
                    RetryInterval.TotalSeconds);
                await Task.Delay(RetryInterval, stoppingToken);
            }
        }
    }

    /// <summary>Unbinds each retired event's exchange from the saga's; an absent binding or exchange is already right.</summary>
    public static async Task RemoveAsync(RabbitMqOptions options, CancellationToken ct)
    {
        var factory = new ConnectionFactory
        {
            HostName = options.Host, Port = options.Port, VirtualHost = options.VirtualHost,
            UserName = options.Username, Password = options.Password,
        };
        await using var connection = await factory.CreateConnectionAsync("aiplatform-retired-bindings", ct);
        foreach (var message in Retired)
        {
            // A missing exchange closes the channel, so each unbind gets its own.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            try
            {
                await channel.ExchangeUnbindAsync(QueueNames.TaskSaga, ExchangeFor(message), "", cancellationToken: ct);
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == NotFound)
            {
            }
        }
    }

    /// <summary>The exchange MassTransit publishes a message type to: its namespace and name.</summary>
    public static string ExchangeFor(Type message) => $"{message.Namespace}:{message.Name}";
}
