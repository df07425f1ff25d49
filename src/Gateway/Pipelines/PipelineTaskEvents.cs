using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// Turns the end of a task that is a pipeline step into the run's event. Task events are the fast path; a task can
/// also end without one (its worker lost for good, cancelled while queued), which <see cref="PipelineMonitor"/> finds.
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
            throw new ServiceNotRunningYetException($"service {service.Name} ({service.CorrelationId}) serves, but its start has not reached the task saga yet");
        var deployed = PipelineActionConsumer.Deployed(service, started: true, service.Model!);
        deployed["served_model"] = context.Message.Model;
        await context.Publish(new PipelineStepTaskFinished(service.PipelineRunId!.Value, service.PipelineStep!, service.CorrelationId,
            StepStates.Completed, deployed.ToJsonString(), null));
    }

    public Task Consume(ConsumeContext<TaskCompleted> context) =>
        ForwardAsync(context, context.Message, StepStates.Completed, context.Message.ResultJson, null);

    public Task Consume(ConsumeContext<TaskFailed> context) =>
        ForwardAsync(context, context.Message, StepStates.Failed, null, context.Message.Error);

    public Task Consume(ConsumeContext<TaskCancelled> context) =>
        ForwardAsync(context, context.Message, StepStates.Cancelled, null, context.Message.Reason);

    private async Task ForwardAsync(ConsumeContext context, ITaskEvent message, string outcome, string? resultJson, string? error)
    {
        var task = await db.Tasks.AsNoTracking()
            .Where(t => t.CorrelationId == message.TaskId && t.PipelineRunId != null)
            .Select(t => new { t.PipelineRunId, t.PipelineStep, t.Attempts })
            .SingleOrDefaultAsync(context.CancellationToken);
        if (task is null) return;
        // As in the task saga: any attempt's completion completes the task, but only the current attempt's failure fails it.
        if (outcome != StepStates.Completed && message.Attempt != task.Attempts) return;
        await context.Publish(new PipelineStepTaskFinished(task.PipelineRunId!.Value, task.PipelineStep!, message.TaskId, outcome, resultJson, error));
    }

    public static PipelineStepTaskFinished FromTask(TaskState task) => new(task.PipelineRunId!.Value, task.PipelineStep!, task.CorrelationId,
        task.CurrentState switch
        {
            TaskStatuses.CompletedState => StepStates.Completed,
            TaskStatuses.CancelledState => StepStates.Cancelled,
            _ => StepStates.Failed,
        }, task.ResultJson, task.Error);
}

/// <summary>A replica's report that arrived before its start: retried by the endpoint until the start is recorded.</summary>
public sealed class ServiceNotRunningYetException(string message) : Exception(message);
