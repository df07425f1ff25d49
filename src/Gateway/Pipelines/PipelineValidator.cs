using System.Text.RegularExpressions;
using AiPlatform.Gateway.Registry;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// Everything about a pipeline that can be known before it runs: its graph (no cycle, no unknown step), its references
/// (only to declared params and to upstream steps), its scripts (they exist), its params (their types) and its inputs
/// (a dataset a step reads either exists or is written upstream). Every problem is reported, naming where it is.
/// </summary>
public sealed partial class PipelineValidator(ScriptCatalog scripts, ReferenceResolver resolver)
{
    public const int MaxSteps = 200;
    public static readonly string[] StepTypes = [TaskTypes.Ingestion, TaskTypes.Training, .. StepActions.Types];

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z")]
    private static partial Regex PipelineName();

    // No dots: a step's name is one segment of ${steps.<name>.result...}.
    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9_-]{0,47}\z")]
    private static partial Regex StepName();

    /// <returns>The problems found (empty when the pipeline is valid), and a refusal when an input does not exist.</returns>
    public async Task<(List<string> Errors, TaskRefusal? Missing)> ValidateAsync(PipelineDefinition pipeline, CancellationToken ct)
    {
        var errors = new List<string>();
        if (!PipelineName().IsMatch(pipeline.Name))
            errors.Add("name must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (!FailurePolicies.All.Contains(pipeline.OnFailure))
            errors.Add($"on_failure must be one of {string.Join(", ", FailurePolicies.All)}");
        if (pipeline.Schedule?.Parse().Error is { } scheduleError) errors.Add(scheduleError);
        if (pipeline.Priority is { } priority && !IsPriority(priority)) errors.Add(SubmitTaskRequest.PriorityError("priority"));
        foreach (var (name, declared) in pipeline.Params)
            if (ParamSpec.Parse(name, declared).Error is { } paramError) errors.Add(paramError);
        if (pipeline.Steps.Count is 0 or > MaxSteps) errors.Add($"steps must hold 1 to {MaxSteps} steps");

        var byName = new Dictionary<string, StepDefinition>();
        foreach (var step in pipeline.Steps)
        {
            var at = $"steps.{step.Name}";
            if (!StepName().IsMatch(step.Name)) errors.Add($"step name '{step.Name}' must be 1-48 letters, digits, '_' or '-', starting with a letter or digit");
            else if (!byName.TryAdd(step.Name, step)) errors.Add($"step name '{step.Name}' is used twice");
            CheckStep(step, at, errors);
        }
        foreach (var step in pipeline.Steps)
            foreach (var dependency in step.DependsOn)
                if (dependency == step.Name) errors.Add($"steps.{step.Name}.depends_on: a step cannot depend on itself");
                else if (!byName.ContainsKey(dependency)) errors.Add($"steps.{step.Name}.depends_on: unknown step '{dependency}'");
        if (errors.Count > 0) return (errors, null);

        if (PipelineGraph.FindCycle(pipeline) is { } cycle)
            return ([$"steps form a cycle: {string.Join(" -> ", cycle)}"], null);

        var graph = new PipelineGraph(pipeline);
        foreach (var step in pipeline.Steps)
            foreach (var (field, text) in StepReferences.Texts(step))
            {
                var (references, referenceError) = StepReferences.Find(text);
                if (referenceError is not null) errors.Add($"steps.{step.Name}.{field}: {referenceError}");
                foreach (var reference in references)
                    if (reference.Param is { } param && !pipeline.Params.ContainsKey(param))
                        errors.Add($"steps.{step.Name}.{field}: {reference.Text} names no declared param");
                    else if (reference.Step is { } upstream && !graph.Upstream(step.Name).Contains(upstream))
                        errors.Add($"steps.{step.Name}.{field}: {reference.Text} names step '{upstream}', which is not upstream of '{step.Name}' " +
                                   "(a step may only use results of steps it depends on, directly or not)");
            }
        if (errors.Count > 0) return (errors, null);
        return (errors, await CheckInputsExistAsync(pipeline, graph, ct));
    }

    private void CheckStep(StepDefinition step, string at, List<string> errors)
    {
        if (!StepTypes.Contains(step.Type)) errors.Add($"{at}.type must be one of {string.Join(", ", StepTypes)}; got '{step.Type}'");
        if (!StepActions.RunsScript(step.Type)) { if (step.Script is not null) errors.Add($"{at}.script does not apply to a {step.Type} step"); }
        else if (string.IsNullOrWhiteSpace(step.Script)) errors.Add($"{at}.script is required");
        else if (scripts.Resolve(step.Script).Error is { } scriptError) errors.Add($"{at}.script: {scriptError}");
        errors.AddRange(StepActions.Errors(step, at));
        if (step.Device is not null && !SubmitTaskRequest.Devices.Contains(step.Device))
            errors.Add($"{at}.device must be one of {string.Join(", ", SubmitTaskRequest.Devices)}");
        if (step.TimeoutSeconds is < 1 or > SubmitTaskRequest.MaxTimeoutSeconds)
            errors.Add($"{at}.timeout_seconds must be from 1 to {SubmitTaskRequest.MaxTimeoutSeconds}");
        if (step.Resources is { } resources && ResourceSpec.Parse(resources, $"{at}.resources").Error is { } resourceError) errors.Add(resourceError);
        if (step.Priority is { } priority && !IsPriority(priority)) errors.Add(SubmitTaskRequest.PriorityError($"{at}.priority"));
        if (step.Retry is { } retry)
        {
            if (retry.MaxAttempts is < 1 or > RetryPolicy.MaxMaxAttempts) errors.Add($"{at}.retry.max_attempts must be from 1 to {RetryPolicy.MaxMaxAttempts}");
            if (retry.BackoffSeconds is < 0 or > RetryPolicy.MaxBackoffSeconds) errors.Add($"{at}.retry.backoff_seconds must be from 0 to {RetryPolicy.MaxBackoffSeconds}");
            foreach (var kind in retry.On.Where(k => !FailureKinds.All.Contains(k)))
                errors.Add($"{at}.retry.on: unknown failure '{kind}' (one of {string.Join(", ", FailureKinds.All)})");
        }
        if (step.When is { } when && StepCondition.SyntaxError(when) is { } conditionError) errors.Add($"{at}.when: {conditionError}");
    }

    private static bool IsPriority(int priority) => priority is >= TaskPriorities.Default and <= TaskPriorities.Max;

    /// <summary>
    /// A training step's literal input must exist now, unless a step upstream writes it; inputs computed from
    /// references are checked when the step starts, by the task admission every task passes.
    /// </summary>
    private async Task<TaskRefusal?> CheckInputsExistAsync(PipelineDefinition pipeline, PipelineGraph graph, CancellationToken ct)
    {
        foreach (var step in pipeline.Steps.Where(s => s.Type == TaskTypes.Training && s.Input is not null && !s.Input.Contains("${")))
        {
            var name = step.Input!.Split('@', ':')[0];
            if (graph.Upstream(step.Name).Any(u => graph.Step(u).Output == name)) continue;
            try
            {
                LakeReference.Parse(step.Input);
                await resolver.ResolveAsync(EntryKind.Dataset, step.Input, ct);
            }
            catch (ArgumentException)
            {
                // Not shaped like a reference (a path): the script's business, as for a plain task.
            }
            catch (RegistryException e)
            {
                return new TaskRefusal(e.Status, e.Code, $"steps.{step.Name}.input: {e.Message}");
            }
        }
        return null;
    }
}
