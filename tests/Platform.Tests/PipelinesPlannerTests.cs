using System.Text.Json.Nodes;
using AiPlatform.Gateway.Pipelines;
using AiPlatform.Messages;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The run rules without a fleet: conditions, cycles, readiness, retries and stale task ends.</summary>
public sealed class PipelinesPlannerTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-02T00:00:00Z");

    private static StepDefinition Step(string name, params string[] dependsOn) =>
        new() { Name = name, Type = TaskTypes.Ingestion, Script = "echo.csx", DependsOn = [.. dependsOn] };

    private static RunProgress Progress(string onFailure, params StepDefinition[] steps)
    {
        var definition = new PipelineDefinition { Name = "p", OnFailure = onFailure, Steps = [.. steps] };
        return new RunProgress(definition, RunProgress.Initial(definition), new JsonObject { ["limit"] = 0.5 });
    }

    private static void Start(RunProgress progress, string step) => progress.Started(progress[step], Guid.NewGuid(), progress[step].Attempts + 1, Now);

    private static bool Finish(RunProgress progress, string step, string outcome, string? result = null, string? error = null) =>
        progress.Finished(new PipelineStepTaskFinished(Guid.Empty, step, progress[step].TaskId!.Value, outcome, result, error), cancelling: false, Now);

    [Theory]
    [InlineData("${steps.a.result.accuracy} > ${params.limit}", true)]
    [InlineData("${steps.a.result.accuracy} <= 0.5 || ${steps.a.result.name} == 'cnn'", true)]
    [InlineData("(${steps.a.result.accuracy} > 0.9 || false) && true", false)]
    [InlineData("${steps.a.result.name} != \"cnn\"", false)]
    [InlineData("${steps.a.result.ok}", true)]
    public void Conditions_compare_results_params_and_literals(string condition, bool expected)
    {
        var progress = Progress(FailurePolicies.FailFast, Step("a"));
        Start(progress, "a");
        Finish(progress, "a", StepStates.Completed, """{"accuracy": 0.8, "name": "cnn", "ok": true}""");
        Assert.Equal(expected, StepCondition.Evaluate(condition, progress.Lookup));
    }

    [Theory]
    [InlineData("${steps.a.result.x} >")]
    [InlineData("(1 > 0")]
    [InlineData("1 > 0 extra")]
    [InlineData("'unclosed")]
    public void A_malformed_condition_is_a_syntax_error(string condition) => Assert.NotNull(StepCondition.SyntaxError(condition));

    [Fact]
    public void A_cycle_is_named_in_running_order()
    {
        var definition = new PipelineDefinition { Name = "p", Steps = [Step("a", "c"), Step("b", "a"), Step("c", "b"), Step("d")] };
        Assert.Equal(["a", "b", "c", "a"], PipelineGraph.FindCycle(definition));
        Assert.Null(PipelineGraph.FindCycle(new PipelineDefinition { Name = "p", Steps = [Step("a"), Step("b", "a"), Step("c", "a", "b")] }));
    }

    [Fact]
    public void Independent_steps_are_ready_together_and_a_join_waits_for_all_its_upstream()
    {
        var progress = Progress(FailurePolicies.FailFast, Step("a"), Step("b", "a"), Step("c", "a"), Step("d", "b", "c"));
        Assert.Equal(["a"], progress.Ready(Now).Select(s => s.Name));
        Start(progress, "a");
        Finish(progress, "a", StepStates.Completed);
        Assert.Equal(["b", "c"], progress.Ready(Now).Select(s => s.Name));
        Start(progress, "b");
        Start(progress, "c");
        Finish(progress, "b", StepStates.Completed);
        Assert.Empty(progress.Ready(Now));
        Finish(progress, "c", StepStates.Completed);
        Assert.Equal(["d"], progress.Ready(Now).Select(s => s.Name));
    }

    [Fact]
    public void A_failure_is_retried_only_for_the_kinds_its_policy_names_and_after_its_backoff()
    {
        var retried = Step("a") with { Retry = new RetryPolicy { MaxAttempts = 3, BackoffSeconds = 10, On = [FailureKinds.Timeout] } };
        var progress = Progress(FailurePolicies.FailFast, retried);
        Start(progress, "a");
        Finish(progress, "a", StepStates.Failed, error: "timed out after 5 s");
        Assert.Equal(StepStates.Retrying, progress["a"].State);
        Assert.Empty(progress.Ready(Now));
        Assert.Equal(["a"], progress.Ready(Now.AddSeconds(10)).Select(s => s.Name));
        Start(progress, "a");
        Finish(progress, "a", StepStates.Failed, error: "the script threw");
        Assert.Equal(StepStates.Failed, progress["a"].State);
        Assert.Equal(PipelineRunStatuses.FailedState, progress.Outcome());
    }

    [Fact]
    public void A_stale_or_repeated_task_end_changes_nothing()
    {
        var progress = Progress(FailurePolicies.FailFast, Step("a"));
        Start(progress, "a");
        Assert.False(progress.Finished(new PipelineStepTaskFinished(Guid.Empty, "a", Guid.NewGuid(), StepStates.Failed, null, "old"), false, Now));
        Assert.True(Finish(progress, "a", StepStates.Completed));
        Assert.False(Finish(progress, "a", StepStates.Failed, error: "late"));
        Assert.Equal(PipelineRunStatuses.CompletedState, progress.Outcome());
    }

    [Fact]
    public void Resume_reopens_failed_and_blocked_steps_and_keeps_completed_ones_and_what_they_wrote()
    {
        var progress = Progress(FailurePolicies.Continue, Step("a"), Step("b", "a"), Step("c", "b"));
        Start(progress, "a");
        Finish(progress, "a", StepStates.Completed, """{"lake": {"saved": [{"kind": "dataset", "name": "ds", "lance_version": 4}]}}""");
        progress.Ready(Now);
        Start(progress, "b");
        Finish(progress, "b", StepStates.Failed, error: "boom");
        progress.Ready(Now);
        Assert.Equal(StepStates.UpstreamFailed, progress["c"].State);
        Assert.Equal(PipelineRunStatuses.FailedState, progress.Outcome());

        progress.Reset();
        Assert.Equal([StepStates.Completed, StepStates.Waiting, StepStates.Waiting], progress.Steps.Select(s => s.State));
        Assert.Equal(["b"], progress.Ready(Now).Select(s => s.Name));
        Assert.Equal("ds@4", progress.Pin("b", "ds"));
        Assert.Equal("ds@2", progress.Pin("b", "ds@2"));
        Assert.Equal("other", progress.Pin("b", "other"));
    }

    [Fact]
    public void A_semantic_version_an_upstream_step_saved_is_pinned_to_the_lake_version_it_saved()
    {
        var progress = Progress(FailurePolicies.FailFast, Step("train"), Step("deploy", "train"));
        Start(progress, "train");
        Finish(progress, "train", StepStates.Completed,
            """{"lake": {"saved": [{"kind": "model", "name": "m", "lance_version": 7, "semantic_version": "1.2.0"}]}}""");
        progress.Ready(Now);
        Assert.Equal("m@7", progress.Pin("deploy", "m:1.2.0"));
        Assert.Equal("m@7", progress.Pin("deploy", "m"));
        // Another version, or a path with a colon, is left as written.
        Assert.Equal("m:1.1.0", progress.Pin("deploy", "m:1.1.0"));
        Assert.Equal("s3://bucket/prefix", progress.Pin("deploy", "s3://bucket/prefix"));
    }
}
