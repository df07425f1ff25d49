using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Workers.Host;

/// <summary>Every worker instance hears every cancel; only the one running the task acts on it.</summary>
public sealed class CancelTaskConsumer(RunningTasks running) : IConsumer<CancelTask>
{
    public Task Consume(ConsumeContext<CancelTask> context)
    {
        running.Cancel(context.Message.TaskId);
        return Task.CompletedTask;
    }
}
