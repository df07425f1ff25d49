using AiPlatform.Gateway.Pipelines;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>A YAML definition reads as the JSON one it stands for, with YAML's plain-scalar types.</summary>
public sealed class PipelinesYamlTests
{
    [Fact]
    public void Plain_scalars_take_their_yaml_types_and_quoted_ones_stay_strings()
    {
        var json = YamlDefinition.ToJson("""
            name: nightly
            on_failure: continue
            params:
              epochs: {type: integer, default: 2}
              rate: 0.5
              label: "007"
              strict: true
            steps:
              - name: first
                type: ingestion
                script: echo.csx
                params: {times: 3, message: "${params.label}", none: ~}
              - name: second
                type: training
                script: echo.csx
                depends_on: [first]
                retry: {max_attempts: 2, on: [error, lost]}
                when: "${steps.first.result.times} > 2"
            """);
        var definition = System.Text.Json.JsonSerializer.Deserialize<PipelineDefinition>(json, PipelineDefinition.Json)!;

        Assert.Equal(("nightly", "continue"), (definition.Name, definition.OnFailure));
        Assert.Equal(("integer", 2L), (ParamSpec.Parse("epochs", definition.Params["epochs"]).Spec!.Type, (long)definition.Params["epochs"]!["default"]!));
        Assert.Equal("number", ParamSpec.Parse("rate", definition.Params["rate"]).Spec!.Type);
        Assert.Equal("string", ParamSpec.Parse("label", definition.Params["label"]).Spec!.Type);
        Assert.Equal("boolean", ParamSpec.Parse("strict", definition.Params["strict"]).Spec!.Type);
        Assert.Equal(3, (int)definition.Steps[0].Params!["times"]!);
        Assert.Null(definition.Steps[0].Params!["none"]);
        Assert.Equal(["first"], definition.Steps[1].DependsOn);
        Assert.Equal(2, definition.Steps[1].Retry!.MaxAttempts);
        Assert.Equal(["error", "lost"], definition.Steps[1].Retry!.On);
        Assert.Equal("${steps.first.result.times} > 2", definition.Steps[1].When);
    }

    [Fact]
    public void Malformed_yaml_is_refused() =>
        Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => YamlDefinition.ToJson("steps: [unclosed"));
}
