using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// The life of a pipeline run: Pending -> Running -> Completed | Failed | Cancelled, and Failed | Cancelled -> Running
/// again on resume. The rules about steps live in <see cref="RunProgress"/>; this class says which event may do what
/// in which state. Step tasks finish at least once and in any order; <see cref="RunProgress.Finished"/> ignores the
/// stale and the repeated.
/// </summary>
public sealed class PipelineRunStateMachine : MassTransitStateMachine<PipelineRunState>
{
    public State Pending { get; private set; } = null!;
    public State Running { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;

    public Event<PipelineRunSubmitted> Submitted { get; private set; } = null!;
    public Event<PipelineStepTaskFinished> StepFinished { get; private set; } = null!;
    public Event<PipelineRunDue> Due { get; private set; } = null!;
    public Event<CancelPipelineRun> CancelRequested { get; private set; } = null!;
    public Event<ResumePipelineRun> ResumeRequested { get; private set; } = null!;

    public PipelineRunStateMachine()
    {
        InstanceState(r => r.CurrentState);

        // Runs are created by the gateway's insert; an event for a run that does not exist is dropped, not invented.
        Event(() => Submitted, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => StepFinished, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Due, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => CancelRequested, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => ResumeRequested, e => { e.CorrelateById(m => m.Message.RunId); e.OnMissingInstance(m => m.Discard()); });

        During(Pending,
            Conclude(When(Submitted)
                .TransitionTo(Running)
                .ThenAsync(c => Advance(c, RunProgress.Of(c.Saga)))),
            When(CancelRequested)
                .ThenAsync(c => Cancel(c, c.Message.Reason))
                .TransitionTo(Cancelled));

        During(Running,
            Conclude(When(StepFinished)
                .ThenAsync(c => Record(c, cancelling: false))),
            Conclude(When(Due)
                .ThenAsync(c => Advance(c, RunProgress.Of(c.Saga)))),
            When(CancelRequested)
                .ThenAsync(c => Cancel(c, c.Message.Reason))
                .TransitionTo(Cancelled));

        // A finished run still hears from steps it asked to stop: their end is recorded, nothing is started.
        During(Completed, Failed, Cancelled,
            When(StepFinished)
                .ThenAsync(c => Record(c, cancelling: true)));

        During(Failed, Cancelled,
            Conclude(When(ResumeRequested)
                .Then(c =>
                {
                    var progress = RunProgress.Of(c.Saga);
                    progress.Reset();
                    c.Saga.SetSteps(progress.Steps);
                    c.Saga.Resumes++;
                    c.Saga.FinishedAt = null;
                    c.Saga.CancelRequestedAt = null;
                    c.Saga.Error = null;
                })
                .TransitionTo(Running)
                .ThenAsync(c => Advance(c, RunProgress.Of(c.Saga)))));

        OnUnhandledEvent(c => c.Ignore());
    }

    /// <summary>Ends the run when its steps say it is over.</summary>
    private EventActivityBinder<PipelineRunState, T> Conclude<T>(EventActivityBinder<PipelineRunState, T> binder) where T : class =>
        binder.IfElse(c => Outcome(c) == PipelineRunStatuses.CompletedState,
            done => done.Then(c => Finish(c)).TransitionTo(Completed),
            other => other.If(c => Outcome(c) == PipelineRunStatuses.FailedState, failed => failed.Then(c => Finish(c)).TransitionTo(Failed)));

    private static Task Advance(BehaviorContext<PipelineRunState> context, RunProgress progress) =>
        context.GetServiceOrCreateInstance<StepLauncher>().AdvanceAsync(context, progress);

    private static async Task Record(BehaviorContext<PipelineRunState, PipelineStepTaskFinished> context, bool cancelling)
    {
        var progress = RunProgress.Of(context.Saga);
        if (!progress.Finished(context.Message, cancelling, DateTimeOffset.UtcNow)) return;
        context.Saga.SetSteps(progress.Steps);
        if (!cancelling) await Advance(context, progress);
    }

    private static async Task Cancel(BehaviorContext<PipelineRunState> context, string reason)
    {
        var progress = RunProgress.Of(context.Saga);
        var running = progress.Stop($"the run was {reason}", DateTimeOffset.UtcNow);
        context.Saga.SetSteps(progress.Steps);
        context.Saga.CancelRequestedAt = DateTimeOffset.UtcNow;
        context.Saga.FinishedAt = DateTimeOffset.UtcNow;
        context.Saga.Error = $"run {reason}";
        await StepLauncher.CancelAsync(context, running, $"its pipeline run was {reason}");
    }

    private static string? Outcome(BehaviorContext<PipelineRunState> context) => RunProgress.Of(context.Saga).Outcome();

    private static void Finish(BehaviorContext<PipelineRunState> context)
    {
        context.Saga.FinishedAt = DateTimeOffset.UtcNow;
        context.Saga.Error = RunProgress.Of(context.Saga).Steps.Where(s => StepStates.IsFailure(s.State))
            .Select(s => $"step '{s.Name}' {s.State.Replace('_', ' ')}: {s.Error}").FirstOrDefault();
    }
}
