using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// The rules of a run over its steps, without any I/O: which steps are ready, which are skipped or can no longer run,
/// what a finished task means for its step (done, retry later, failed), and how the run ends. The saga loads it from
/// the run's row, applies one event, and stores it back.
/// </summary>
public sealed class RunProgress
{
    private readonly Dictionary<string, StepRun> _byName;

    public RunProgress(PipelineDefinition definition, List<StepRun> steps, JsonObject parameters)
    {
        Definition = definition;
        Graph = new PipelineGraph(definition);
        Steps = steps;
        Params = parameters;
        _byName = steps.ToDictionary(s => s.Name);
    }

    public PipelineDefinition Definition { get; }
    public PipelineGraph Graph { get; }
    public List<StepRun> Steps { get; }
    public JsonObject Params { get; }

    public static RunProgress Of(PipelineRunState run) => new(run.Definition(), run.Steps(), run.Params());

    public static List<StepRun> Initial(PipelineDefinition definition) => definition.Steps.Select(s => new StepRun { Name = s.Name }).ToList();

    public StepRun this[string name] => _byName[name];

    private bool FailFast => Definition.OnFailure == FailurePolicies.FailFast;

    /// <summary>
    /// Settles what can be settled without running anything (skips by condition or by a skipped upstream, upstream
    /// failures) and returns the steps that should start now: waiting ones whose upstream is done, and due retries.
    /// </summary>
    public List<StepRun> Ready(DateTimeOffset now)
    {
        if (FailFast && Steps.Any(s => StepStates.IsFailure(s.State))) return [];
        var ready = new List<StepRun>();
        bool changed;
        do
        {
            changed = false;
            foreach (var step in Steps.Where(s => s.State == StepStates.Waiting && !ready.Contains(s)))
            {
                var upstream = Graph.Step(step.Name).DependsOn.Select(d => _byName[d]).ToList();
                if (upstream.FirstOrDefault(u => StepStates.IsFailure(u.State)) is { } failed)
                    changed |= Settle(step, StepStates.UpstreamFailed, $"upstream step '{failed.Name}' {failed.State.Replace('_', ' ')}", now);
                else if (upstream.FirstOrDefault(u => u.State == StepStates.Skipped) is { } skipped)
                    changed |= Settle(step, StepStates.Skipped, $"upstream step '{skipped.Name}' was skipped", now);
                else if (upstream.All(u => u.State == StepStates.Completed))
                {
                    if (Graph.Step(step.Name).When is not { } when) ready.Add(step);
                    else
                    {
                        try
                        {
                            if (StepCondition.Evaluate(when, Lookup)) ready.Add(step);
                            else changed |= Settle(step, StepStates.Skipped, $"condition is false: {when}", now);
                        }
                        catch (Exception e) when (e is StepReferenceException or FormatException)
                        {
                            changed |= Settle(step, StepStates.Failed, $"condition could not be evaluated: {e.Message}", now);
                        }
                    }
                }
            }
        } while (changed && !(FailFast && Steps.Any(s => StepStates.IsFailure(s.State))));
        if (FailFast && Steps.Any(s => StepStates.IsFailure(s.State))) return [];
        ready.AddRange(Steps.Where(s => s.State == StepStates.Retrying && s.RetryAt <= now));
        return ready;
    }

    /// <summary>Records that <paramref name="step"/> started attempt <paramref name="taskId"/>.</summary>
    public void Started(StepRun step, Guid taskId, int attempt, DateTimeOffset now)
    {
        step.State = StepStates.Running;
        step.Attempts = attempt;
        step.TaskId = taskId;
        step.TaskIds.Add(taskId);
        step.StartedAt ??= now;
        step.RetryAt = null;
    }

    /// <summary>Applies a task's end to its step; false when it is stale or repeated (the step is past that task).</summary>
    public bool Finished(PipelineStepTaskFinished message, bool cancelling, DateTimeOffset now)
    {
        if (!_byName.TryGetValue(message.Step, out var step) || step.TaskId != message.TaskId || step.State != StepStates.Running) return false;
        if (message.Outcome == StepStates.Completed)
        {
            step.Result = message.ResultJson is null ? null : JsonNode.Parse(message.ResultJson);
            step.Produced = SavedVersions(step.Result);
            Settle(step, StepStates.Completed, null, now);
            return true;
        }
        var retry = Graph.Step(step.Name).Retry;
        var kind = FailureKinds.Of(message.Error);
        if (message.Outcome == StepStates.Failed && !cancelling && retry is not null && step.Attempts < retry.MaxAttempts && retry.On.Contains(kind))
        {
            step.State = StepStates.Retrying;
            step.RetryAt = now + retry.DelayBefore(step.Attempts + 1);
            step.Error = $"attempt {step.Attempts} failed ({kind}): {message.Error}";
            return true;
        }
        Settle(step, message.Outcome == StepStates.Cancelled ? StepStates.Cancelled : StepStates.Failed,
            message.Error ?? (message.Outcome == StepStates.Cancelled ? "its task was cancelled" : "its task failed"), now);
        return true;
    }

    /// <summary>Marks a step failed before it got a task (a reference without a value, a refused input).</summary>
    public void FailedToStart(StepRun step, string error, DateTimeOffset now) => Settle(step, StepStates.Failed, error, now);

    /// <summary>Stops the run: nothing waiting starts; returns the tasks still running, which must be cancelled.</summary>
    public List<Guid> Stop(string reason, DateTimeOffset now)
    {
        foreach (var step in Steps.Where(s => s.State is StepStates.Waiting or StepStates.Retrying))
            Settle(step, StepStates.Cancelled, reason, now);
        return Steps.Where(s => s.State == StepStates.Running).Select(s => s.TaskId!.Value).ToList();
    }

    /// <summary>Whether a fail-fast run must stop now: one of its steps finally failed while others could still run.</summary>
    public bool MustStop => FailFast && Steps.Any(s => StepStates.IsFailure(s.State))
                            && Steps.Any(s => s.State is StepStates.Waiting or StepStates.Retrying or StepStates.Running);

    /// <summary>Puts failed, cancelled and never-run steps back to waiting; completed ones keep their results and outputs.</summary>
    public void Reset()
    {
        foreach (var step in Steps.Where(s => StepStates.IsFailure(s.State) || (s.State == StepStates.Skipped && SkippedByUpstreamFailure(s))))
        {
            step.State = StepStates.Waiting;
            step.FinishedAt = null;
            step.RetryAt = null;
        }
    }

    private static bool SkippedByUpstreamFailure(StepRun step) => step.Error?.StartsWith("upstream step", StringComparison.Ordinal) == true;

    /// <summary>The run's final state once it has one: Failed as soon as a fail-fast run has a failure, else when every step is settled.</summary>
    public string? Outcome()
    {
        var anyFailure = Steps.Any(s => StepStates.IsFailure(s.State));
        if (FailFast && anyFailure) return PipelineRunStatuses.FailedState;
        if (!Steps.All(s => StepStates.IsSettled(s.State))) return null;
        return anyFailure ? PipelineRunStatuses.FailedState : PipelineRunStatuses.CompletedState;
    }

    /// <summary>A reference's value: a run param, or a field of an upstream step's result.</summary>
    public JsonNode? Lookup(StepReference reference)
    {
        if (reference.Param is { } param)
            return Params.TryGetPropertyValue(param, out var value) ? value : throw new StepReferenceException($"{reference.Text} has no value");
        var step = _byName[reference.Step!];
        if (step.State != StepStates.Completed) throw new StepReferenceException($"{reference.Text} has no value: step '{step.Name}' did not complete");
        return StepReferences.Select(reference, step.Result);
    }

    /// <summary>
    /// A dataset or model named bare (<c>fashion</c>), or by the semantic version an upstream step saved it as
    /// (<c>fashion-cnn:1.2.0</c>), is pinned to the lake version that step saved (<c>fashion@3</c>): the step reads what its
    /// upstream wrote, however many runs wrote since, and so does a resume. Pinning the semantic form also spares the
    /// step a race with the registry, which may not have recorded that version yet when the step starts.
    /// </summary>
    public string? Pin(string stepName, string? reference)
    {
        if (reference is null || reference.Contains('@')) return reference;
        var colon = reference.IndexOf(':');
        foreach (var upstream in Graph.Upstream(stepName))
        {
            var step = _byName[upstream];
            var exact = colon < 0 ? step.Produced.GetValueOrDefault(reference) : SavedAs(step.Result, reference[..colon], reference[(colon + 1)..]);
            if (exact is not null) return exact;
        }
        return reference;
    }

    /// <summary>The exact version of what a step's result says it saved as <paramref name="name"/> with that semantic version.</summary>
    private static string? SavedAs(JsonNode? result, string name, string semanticVersion)
    {
        if (result?["lake"]?["saved"] is not JsonArray saved) return null;
        foreach (var entry in saved)
            if (entry?["name"]?.GetValue<string>() == name && entry["semantic_version"]?.GetValue<string>() == semanticVersion
                && entry["lance_version"] is JsonValue version && long.TryParse(version.ToJsonString(), out var number))
                return LakeReference.Exact(name, number);
        return null;
    }

    private static Dictionary<string, string> SavedVersions(JsonNode? result)
    {
        var produced = new Dictionary<string, string>();
        if (result?["lake"]?["saved"] is not JsonArray saved) return produced;
        foreach (var entry in saved)
            if (entry?["name"]?.GetValue<string>() is { } name && entry["lance_version"] is JsonValue version && long.TryParse(version.ToJsonString(), out var number))
                produced[name] = LakeReference.Exact(name, number);
        return produced;
    }

    private static bool Settle(StepRun step, string state, string? error, DateTimeOffset now)
    {
        step.State = state;
        step.Error = error;
        step.FinishedAt = now;
        step.RetryAt = null;
        return true;
    }
}
