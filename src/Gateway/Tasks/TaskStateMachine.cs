using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// The life of every task: Pending -> Running -> Completed | Failed | Cancelled. Events arrive at least once and in any
/// order, so every transition checks the state and the attempt it belongs to, and anything stale or repeated is ignored.
/// </summary>
public sealed class TaskStateMachine : MassTransitStateMachine<TaskState>
{
    public State Pending { get; private set; } = null!;
    public State Running { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;

    public Event<TaskSubmitted> Submitted { get; private set; } = null!;
    public Event<TaskReplicaStarted> ReplicaStarted { get; private set; } = null!;
    public Event<TaskCompleted> Succeeded { get; private set; } = null!;
    public Event<TaskFailed> Faulted { get; private set; } = null!;
    public Event<TaskCancelled> Stopped { get; private set; } = null!;
    public Event<TaskReleased> Released { get; private set; } = null!;
    public Event<TaskHeartbeatLost> HeartbeatLost { get; private set; } = null!;
    public Event<CancelTask> CancelRequested { get; private set; } = null!;
    public Event<TaskUndispatchable> Undispatchable { get; private set; } = null!;

    public TaskStateMachine(IOptions<TaskOptions> options)
    {
        var maxAttempts = options.Value.MaxAttempts;
        InstanceState(t => t.CurrentState);

        // Tasks are created by the gateway's insert; an event for a task that does not exist is dropped, not invented.
        Event(() => Submitted, e => { e.CorrelateById(m => m.Message.TaskId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ReplicaStarted, e => { e.CorrelateById(m => m.Message.TaskId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Succeeded, e => { e.CorrelateById(m => m.Message.TaskId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Faulted, e => { e.CorrelateById(m => m.Message.TaskId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Stopped, e => { e.CorrelateById(m => m.Message.TaskId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Released, e => { e.CorrelateById(m => m.Message.TaskId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => HeartbeatLost, e => { e.CorrelateById(m => m.Message.TaskId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => CancelRequested, e => { e.CorrelateById(m => m.Message.TaskId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Undispatchable, e => { e.CorrelateById(m => m.Message.TaskId); e.OnMissingInstance(m => m.Discard()); });

        // Each event has one handler per state: MassTransit runs every matching handler of the state the event
        // arrived in, so alternatives are IfElse branches on that state, never sibling When clauses.
        During(Pending,
            When(Submitted, c => c.Saga.Attempts == 0)
                .ThenAsync(Dispatch),
            // Inference replicas start without a claim: every serve worker hosts the service.
            When(ReplicaStarted, c => c.Saga.Type == TaskTypes.Inference)
                .Then(c => MarkRunning(c.Saga, c.Message.WorkerId, c.Message.Attempt))
                .TransitionTo(Running),
            When(CancelRequested)
                .Then(c => Finish(c.Saga, error: null))
                .TransitionTo(Cancelled),
            When(Undispatchable)
                .Then(c => Finish(c.Saga, c.Message.Reason))
                .TransitionTo(Failed));

        During(Pending, Running,
            // A completion counts whichever attempt sends it: an attempt presumed lost (its worker was cut off by a
            // broker outage, say) that finished anyway has done the work, and running it again would do it twice. A
            // newer attempt already running is stopped; one still queued is refused at its claim.
            When(Succeeded)
                .Then(c =>
                {
                    c.Saga.ResultJson = c.Message.ResultJson;
                    c.Saga.ProgressFraction = 1;
                    Finish(c.Saga, error: null);
                })
                .If(c => c.Message.Attempt != c.Saga.Attempts && c.Saga.Type != TaskTypes.Inference && c.Saga.WorkerId is not null,
                    newer => newer.ThenAsync(c => c.Publish(new CancelTask(c.Saga.CorrelationId,
                        $"attempt {c.Message.Attempt} completed the task"))))
                .TransitionTo(Completed),
            When(Faulted, c => IsCurrent(c.Saga, c.Message))
                .Then(c => Finish(c.Saga, c.Message.Error))
                .IfElse(c => c.Saga.Type == TaskTypes.Inference,
                    // Other replicas must stop serving a service that failed on one of them.
                    failed => failed.ThenAsync(c => c.Publish(new CancelTask(c.Saga.CorrelationId, "service failed"))),
                    failed => failed)
                .TransitionTo(Failed),
            When(Stopped, c => IsCurrent(c.Saga, c.Message))
                .Then(c => Finish(c.Saga, error: null))
                .TransitionTo(Cancelled));

        // Progress reports are not the saga's: TaskProgressRecorder sets a running task's progress a batch at a time.
        During(Running,
            When(CancelRequested)
                .Then(c => c.Saga.CancelRequestedAt ??= DateTimeOffset.UtcNow),
            When(Released, c => IsCurrent(c.Saga, c.Message))
                .IfElse(c => c.Saga.CancelRequestedAt is not null,
                    cancelled => cancelled
                        .Then(c => Finish(c.Saga, error: null))
                        .TransitionTo(Cancelled),
                    requeued => requeued
                        .Then(c => c.Saga.Error = $"attempt {c.Message.Attempt} released: {c.Message.Reason}")
                        .TransitionTo(Pending)
                        .ThenAsync(Dispatch)),
            When(HeartbeatLost, c => IsCurrent(c.Saga, c.Message))
                .IfElse(c => c.Saga.CancelRequestedAt is not null,
                    cancelled => cancelled
                        .Then(c => Finish(c.Saga, $"worker {c.Message.WorkerId} was lost while the task was being cancelled"))
                        .TransitionTo(Cancelled),
                    lost => lost.IfElse(c => c.Saga.Attempts < maxAttempts,
                        retried => retried
                            .Then(c => c.Saga.Error = $"attempt {c.Message.Attempt} lost: {LostWorker(c.Message)}; retrying")
                            .TransitionTo(Pending)
                            .ThenAsync(Dispatch),
                        failed => failed
                            .Then(c => Finish(c.Saga, $"{LostWorker(c.Message)}; gave up after {c.Saga.Attempts} attempts"))
                            .TransitionTo(Failed))));

        // Duplicates and stragglers (a second TaskCompleted, progress after the end) change nothing.
        OnUnhandledEvent(c => c.Ignore());
    }

    private static async Task Dispatch(BehaviorContext<TaskState> context)
    {
        var task = context.Saga;
        task.Attempts++;
        task.WorkerId = null;
        task.ClaimedAt = null;
        if (TaskCommands.QueueFor(task.Type) is not null)
        {
            task.DispatchedAt = DateTimeOffset.UtcNow;
            await TaskCommands.SendAsync(context, task);
        }
        else
        {
            var command = TaskCommands.For(task);
            await context.Publish(command, command.GetType());
        }
    }

    private static void MarkRunning(TaskState task, string workerId, int attempt)
    {
        task.WorkerId = workerId;
        task.WaitingReason = null;
        task.ClaimedAt = DateTimeOffset.UtcNow;
        task.StartedAt ??= task.ClaimedAt;
        task.Attempts = Math.Max(task.Attempts, attempt);
    }

    private static void Finish(TaskState task, string? error)
    {
        task.Error = error;
        task.FinishedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>Events of an earlier attempt (a worker presumed lost that later spoke up) must not steer the current one.</summary>
    private static bool IsCurrent(TaskState task, ITaskEvent message) =>
        message.Attempt == task.Attempts || task.Type == TaskTypes.Inference;

    private static bool IsCurrent(TaskState task, TaskHeartbeatLost message) => message.Attempt == task.Attempts && message.WorkerId == task.WorkerId;

    private static string LostWorker(TaskHeartbeatLost lost) =>
        $"worker {lost.WorkerId} stopped sending heartbeats (none for {lost.Silence.TotalSeconds:0} s)";
}
