using AiPlatform.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiPlatform.ServiceDefaults.TaskQueues;

/// <summary>
/// Makes the task queues this process sends to or consumes priority queues before its bus starts (registered ahead
/// of the bus, so a worker's endpoint never meets a queue of the old shape). A broker that is down does not hold the
/// process back: the setup keeps trying in the background, and the bus connects once the queues are ready.
/// </summary>
public sealed class TaskQueueSetup(IOptions<RabbitMqOptions> rabbit, IReadOnlyList<string> queues, ILogger<TaskQueueSetup> logger)
    : BackgroundService
{
    private static readonly TimeSpan FirstAttemptLimit = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        await Task.WhenAny(_ready.Task, Task.Delay(FirstAttemptLimit, cancellationToken));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var setup = new PriorityTaskQueues(rabbit.Value, logger);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var queue in queues) await setup.EnsureAsync(queue, stoppingToken);
                _ready.TrySetResult();
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Task queues {Queues} not set up yet ({Error}); trying again in {Interval} s", string.Join(", ", queues),
                    e.Message, RetryInterval.TotalSeconds);
                await Task.Delay(RetryInterval, stoppingToken);
            }
        }
    }
}

public static class TaskQueueSetupExtensions
{
    /// <summary>Register before the bus: hosted services start in order.</summary>
    public static IServiceCollection AddPriorityTaskQueues(this IServiceCollection services, params string[] queues) =>
        services.AddHostedService(sp => new TaskQueueSetup(sp.GetRequiredService<IOptions<RabbitMqOptions>>(), queues,
            sp.GetRequiredService<ILogger<TaskQueueSetup>>()));
}
