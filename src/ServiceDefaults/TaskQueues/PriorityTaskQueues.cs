using AiPlatform.Messages;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AiPlatform.ServiceDefaults.TaskQueues;

/// <summary>
/// Makes a task command queue a priority queue (<c>x-max-priority</c> <see cref="TaskPriorities.Max"/>) bound to its
/// fanout exchange, as the worker's receive endpoint declares it. RabbitMQ cannot change the arguments of a queue, and
/// declaring an existing queue with other arguments fails with PRECONDITION_FAILED, so a queue made before priorities
/// is upgraded in place: its waiting commands move to a holding queue, the queue is made again with the argument, and
/// the commands move back. Each step is safe to repeat: a process that dies half-way leaves the holding queue, and the
/// next one to start empties it back.
/// </summary>
public sealed class PriorityTaskQueues(RabbitMqOptions options, ILogger logger)
{
    private const int PreconditionFailed = 406;
    private const int NotFound = 404;

    public static string HoldingQueueFor(string queue) => $"{queue}.priority-upgrade";

    /// <summary>The queue arguments every declaration of a task queue must carry, the same as the workers' endpoints.</summary>
    public static Dictionary<string, object?> Arguments() => new() { [Headers.XMaxPriority] = (int)TaskPriorities.Max };

    public async Task EnsureAsync(string queue, CancellationToken ct)
    {
        var factory = new ConnectionFactory
        {
            HostName = options.Host, Port = options.Port, VirtualHost = options.VirtualHost,
            UserName = options.Username, Password = options.Password,
        };
        await using var connection = await factory.CreateConnectionAsync("aiplatform-task-queues", ct);
        if (!await TryDeclareAsync(connection, queue, ct)) await UpgradeAsync(connection, queue, ct);

        await using (var channel = await connection.CreateChannelAsync(cancellationToken: ct))
        {
            await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
            await channel.QueueBindAsync(queue, queue, "", cancellationToken: ct);
        }

        var holding = HoldingQueueFor(queue);
        if (await CountAsync(connection, holding, ct) is null) return;
        var moved = await MoveAllAsync(connection, holding, queue, ct);
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: ct))
            await channel.QueueDeleteAsync(holding, ifUnused: false, ifEmpty: true, cancellationToken: ct);
        logger.LogWarning("Task queue {Queue} is a priority queue now; {Moved} waiting commands moved back into it", queue, moved);
    }

    private async Task UpgradeAsync(IConnection connection, string queue, CancellationToken ct)
    {
        await using (var probe = await connection.CreateChannelAsync(cancellationToken: ct))
        {
            var existing = await probe.QueueDeclarePassiveAsync(queue, ct);
            // Deleting a queue with consumers would drop the commands they hold; those consumers predate priorities.
            if (existing.ConsumerCount > 0)
                throw new InvalidOperationException($"task queue '{queue}' was made before priority queues and {existing.ConsumerCount} " +
                                                    "consumer(s) still read it: stop the workers of the previous version, then start again");
        }
        logger.LogWarning("Task queue {Queue} was made before priority queues; upgrading it", queue);
        var holding = HoldingQueueFor(queue);
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: ct))
            await channel.QueueDeclareAsync(holding, durable: true, exclusive: false, autoDelete: false, arguments: Arguments(), cancellationToken: ct);
        await MoveAllAsync(connection, queue, holding, ct);
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: ct))
            await channel.QueueDeleteAsync(queue, ifUnused: true, ifEmpty: false, cancellationToken: ct);
        if (!await TryDeclareAsync(connection, queue, ct))
            throw new InvalidOperationException($"task queue '{queue}' could not be made again as a priority queue");
    }

    /// <summary>Declares the queue with the priority argument; false when a queue of that name exists with other arguments.</summary>
    private static async Task<bool> TryDeclareAsync(IConnection connection, string queue, CancellationToken ct)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: Arguments(), cancellationToken: ct);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == PreconditionFailed)
        {
            return false;
        }
    }

    private static async Task<uint?> CountAsync(IConnection connection, string queue, CancellationToken ct)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue, ct)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Moves every message, properties (priority included) and body alike; each is acknowledged at its source only once
    /// the broker confirmed its copy, so a crash can duplicate a command (the task claim makes that harmless) but never lose one.
    /// </summary>
    private static async Task<int> MoveAllAsync(IConnection connection, string from, string to, CancellationToken ct)
    {
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        var moved = 0;
        while (await channel.BasicGetAsync(from, autoAck: false, ct) is { } message)
        {
            await channel.BasicPublishAsync("", to, mandatory: true, new BasicProperties(message.BasicProperties), message.Body, ct);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, ct);
            moved++;
        }
        return moved;
    }
}
