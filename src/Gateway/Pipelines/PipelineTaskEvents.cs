using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// Turns the end of a task that is a pipeline step into the run's event. Task events are the fast path; a task can
/// also end without one (its worker lost for good, cancelled while queued), which <see cref="PipelineMonitor"/> finds.
/// This consumer and the task saga read the same events independently, so an event can reach it before the saga has
/// recorded it: it is then retried until the saga has, and the step ends as the task's record says. Otherwise the next
/// step could claim its task before the previous one is finished on record, and a completed step's task could still
/// read as running.
/// </summary>
public sealed class PipelineTaskEvents(PlatformDbContext db) :
    IConsumer<TaskCompleted>, IConsumer<TaskFailed>, IConsumer<TaskCancelled>, IConsumer<ServiceModelServed>
{
    /// <summary>
    /// The service a deploy step started serves: the step is done. Later reports (more replicas, alias swaps) find the
    /// step past its task and change nothing; a service that ends or fails after that is no longer the step's business.
    /// The replica's report can overtake its start, which is what makes the service running for the task saga (and so
    /// for predict): until the saga has it running, the report is retried, so a completed deploy step always means a
    /// service that answers.
    /// </summary>
    public async Task Consume(ConsumeContext<ServiceModelServed> context)
    {
        var service = await db.Tasks.AsNoTracking()
            .SingleOrDefaultAsync(t => t.CorrelationId == context.Message.TaskId && t.PipelineRunId != null, context.CancellationToken);
        if (service is null) return;
        if (service.CurrentState == TaskStatuses.PendingState)
            throw new TaskSagaBehindException($"service {service.Name} ({service.CorrelationId}) serves, but its start has not reached the task saga yet");
        var deployed = PipelineActionConsumer.Deployed(service, started: true, service.Model!);
        deployed["served_model"] = context.Message.Model;
        await context.Publish(new PipelineStepTaskFinished(service.PipelineRunId!.Value, service.PipelineStep!, service.CorrelationId,
            StepStates.Completed, deployed.ToJsonString(), null));
    }

    public Task Consume(ConsumeContext<TaskCompleted> context) =>
        ForwardAsync(context, context.Message, StepStates.Completed);

    public Task Consume(ConsumeContext<TaskFailed> context) =>
        ForwardAsync(context, context.Message, StepStates.Failed);

    public Task Consume(ConsumeContext<TaskCancelled> context) =>
        ForwardAsync(context, context.Message, StepStates.Cancelled);

    private async Task ForwardAsync(ConsumeContext context, ITaskEvent message, string outcome)
    {
        var task = await db.Tasks.AsNoTracking()
            .SingleOrDefaultAsync(t => t.CorrelationId == message.TaskId && t.PipelineRunId != null, context.CancellationToken);
        if (task is null) return;
        // As in the task saga: any attempt's completion completes the task, but only the current attempt's failure fails it.
        if (outcome != StepStates.Completed && message.Attempt != task.Attempts) return;
        if (!TaskStatuses.IsFinal(task.CurrentState))
            throw new TaskSagaBehindException($"task {task.Name} ({task.CorrelationId}) reported {outcome}, but the task saga has not recorded its end yet");
        await context.Publish(FromTask(task));
    }

    public static PipelineStepTaskFinished FromTask(TaskState task) => new(task.PipelineRunId!.Value, task.PipelineStep!, task.CorrelationId,
        task.CurrentState switch
        {
            TaskStatuses.CompletedState => StepStates.Completed,
            TaskStatuses.CancelledState => StepStates.Cancelled,
            _ => StepStates.Failed,
        }, task.ResultJson, task.Error);
}

/// <summary>A task event that overtook the task saga: retried by the endpoint until the saga has recorded it.</summary>
public sealed class TaskSagaBehindException(string message) : Exception(message);
