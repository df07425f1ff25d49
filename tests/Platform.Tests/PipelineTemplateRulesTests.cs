using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Gateway.Pipelines;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using Microsoft.Extensions.Options;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>What templates rely on, without a fleet: short-circuit conditions, the shipped files, instantiation.</summary>
public sealed class PipelineTemplateRulesTests
{
    private static readonly PipelineTemplates Shipped = new(Options.Create(new TemplateOptions()),
        Options.Create(new ScriptOptions { Roots = [Path.Combine(RepoPaths.Root, "scripts")] }));

    [Theory]
    // The promote condition when nothing is in production: the right side names fields that do not exist.
    [InlineData("${steps.p.result.found} == false || ${steps.p.result.metrics.acc} > 0.5", true)]
    [InlineData("${steps.p.result.found} && ${steps.p.result.metrics.acc} > 0.5", false)]
    [InlineData("(${steps.p.result.found} || true) || ${steps.p.result.nothing}", true)]
    public void Conditions_do_not_look_up_the_side_that_cannot_change_the_answer(string condition, bool expected)
    {
        var definition = new PipelineDefinition { Name = "t", Steps = [new StepDefinition { Name = "p", Type = StepActions.ModelVersion, Model = "m@production" }] };
        var progress = new RunProgress(definition, RunProgress.Initial(definition), []);
        progress.Started(progress["p"], Guid.NewGuid(), 1, DateTimeOffset.UtcNow);
        progress.Finished(new PipelineStepTaskFinished(Guid.Empty, "p", progress["p"].TaskId!.Value, StepStates.Completed, """{"found": false}""", null),
            cancelling: false, DateTimeOffset.UtcNow);
        Assert.Equal(expected, StepCondition.Evaluate(condition, progress.Lookup));
        // A side that does decide still looks its references up, and a missing field still says so.
        Assert.Throws<StepReferenceException>(() => StepCondition.Evaluate("${steps.p.result.found} == false && ${steps.p.result.metrics.acc} > 0.5", progress.Lookup));
    }

    [Fact]
    public void The_shipped_templates_are_acyclic_and_promote_to_production_only_through_a_condition_before_deploying()
    {
        var templates = Shipped.List();
        Assert.Equal(["evaluate", "finetune", "pretrain", "train-evaluate-promote"], templates.Select(t => t.Name));
        foreach (var template in templates)
        {
            Assert.Null(PipelineGraph.FindCycle(template.Definition));
            Assert.All(template.Definition.Steps, s => Assert.Empty(StepActions.Errors(s, s.Name)));
            var graph = new PipelineGraph(template.Definition);
            foreach (var promote in template.Definition.Steps.Where(s => s.Type == StepActions.Promote && (s.Output ?? "production") == "production"))
            {
                Assert.True(promote.When is not null, $"{template.Name}: step {promote.Name} promotes to production unconditionally");
                Assert.Null(StepCondition.SyntaxError(promote.When!));
                foreach (var deploy in template.Definition.Steps.Where(s => s.Type == StepActions.Deploy))
                    Assert.Contains(promote.Name, graph.Upstream(deploy.Name));
            }
        }
        Assert.Contains(Shipped.Find("pretrain")!.Definition.Steps, s => s.Type == StepActions.Promote && s.Output == "base");
        Assert.Null(Shipped.Find("../templates/evaluate"));
    }

    [Fact]
    public void A_pipeline_made_from_a_template_keeps_its_steps_and_takes_the_given_defaults()
    {
        var template = Shipped.Find("train-evaluate-promote")!;
        var (definition, error) = PipelineTemplates.Instantiate(template, "nightly", null, new JsonObject { ["epochs"] = 5 });
        Assert.Null(error);
        Assert.Equal("nightly", definition!.Name);
        Assert.Equal(5, definition.Params["epochs"]!["default"]!.GetValue<int>());
        Assert.Equal(template.Definition.Steps.Select(s => s.Name), definition.Steps.Select(s => s.Name));
        Assert.Contains("must be of type integer", PipelineTemplates.Instantiate(template, "n", null, new JsonObject { ["epochs"] = "five" }).Error);
    }
}
