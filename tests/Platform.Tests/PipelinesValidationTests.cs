using System.Net;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;
using static AiPlatform.Platform.Tests.PipelinesApi;

namespace AiPlatform.Platform.Tests;

/// <summary>What a pipeline definition is refused for at create (or a run at execute), before anything runs.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PipelinesValidationTests(PlatformFixture platform)
{
    private static object Echo(string name, string[]? dependsOn = null, object? parameters = null, string? input = null, string type = "ingestion",
        string script = "echo.csx") =>
        new { name, type, script, input, depends_on = dependsOn ?? [], @params = parameters };

    public static TheoryData<string, object[], string> Refusals => new()
    {
        { "cycle", [Echo("a", ["c"]), Echo("b", ["a"]), Echo("c", ["b"])], "steps form a cycle: a -> b -> c -> a" },
        { "unknown dependency", [Echo("a", ["ghost"])], "steps.a.depends_on: unknown step 'ghost'" },
        { "reference to a step that is not upstream", [Echo("a"), Echo("b", parameters: new { m = "${steps.a.result.message}" })],
            "names step 'a', which is not upstream of 'b'" },
        { "reference to an undeclared param", [Echo("a", parameters: new { m = "${params.nope}" })], "${params.nope} names no declared param" },
        { "malformed reference", [Echo("a", parameters: new { m = "${steps.a}" })], "is not a reference" },
        { "unknown script", [Echo("a", script: "no/such.csx")], "steps.a.script: script 'no/such.csx' was not found" },
        { "script outside the scripts folder", [Echo("a", script: "../etc/passwd.csx")], "must not contain '..'" },
        { "duplicate step", [Echo("a"), Echo("a")], "step name 'a' is used twice" },
        { "unsupported type", [Echo("a", type: "inference")], "steps.a.type must be one of ingestion, training" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_bad_definition_is_refused_with_400_naming_the_problem(string why, object[] steps, string expected)
    {
        var (status, body) = await platform.SendAsync("/api/v2/pipelines", new { name = Unique("bad"), steps });
        Assert.True(status == HttpStatusCode.BadRequest, $"{why}: {(int)status} {body.ToJsonString()}");
        Assert.Equal("INVALID_REQUEST", body["error"]!["code"]!.GetValue<string>());
        Assert.Contains(expected, body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Param_types_are_checked_in_the_definition_and_in_each_run()
    {
        var (status, body) = await platform.SendAsync("/api/v2/pipelines",
            new { name = Unique("types"), @params = new { epochs = new { type = "integer", @default = "three" } }, steps = new[] { Echo("a") } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("param 'epochs' must be of type integer", body["error"]!["message"]!.GetValue<string>());

        var pipeline = await platform.CreatePipelineAsync(new
        {
            name = Unique("types"), @params = new { epochs = new { type = "integer", @default = 1 } },
            steps = new[] { Echo("a", parameters: new { epochs = "${params.epochs}" }) },
        });
        var (wrongType, wrong) = await platform.SendAsync($"/api/v2/pipelines/{pipeline}/execute", new { @params = new { epochs = 1.5 } });
        Assert.Equal(HttpStatusCode.BadRequest, wrongType);
        Assert.Contains("param 'epochs' must be of type integer", wrong["error"]!["message"]!.GetValue<string>());
        var (undeclared, unknown) = await platform.SendAsync($"/api/v2/pipelines/{pipeline}/execute", new { @params = new { epoch = 2 } });
        Assert.Equal(HttpStatusCode.BadRequest, undeclared);
        Assert.Contains("param 'epoch' is not declared", unknown["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_step_reading_a_dataset_that_does_not_exist_and_that_no_upstream_step_writes_is_404()
    {
        var missing = Unique("no-ds");
        var (status, body) = await platform.SendAsync("/api/v2/pipelines",
            new { name = Unique("missing"), steps = new[] { Echo("train", input: missing, type: "training") } });
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("DATASET_NOT_FOUND", body["error"]!["code"]!.GetValue<string>());
        Assert.Contains($"'{missing}'", body["error"]!["message"]!.GetValue<string>());

        // Written upstream: fine.
        await platform.CreatePipelineAsync(new
        {
            name = Unique("written"),
            steps = new object[]
            {
                new { name = "write", type = "ingestion", script = "registry/write_dataset.csx", output = missing },
                Echo("train", ["write"], input: missing, type: "training"),
            },
        });
    }

    [Fact]
    public async Task Unknown_pipelines_and_runs_are_404_and_names_are_unique()
    {
        using var pipeline = await platform.Http.GetAsync($"/api/v2/pipelines/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, pipeline.StatusCode);
        using var run = await platform.Http.GetAsync($"/api/v2/runs/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, run.StatusCode);

        var name = Unique("twice");
        await platform.CreatePipelineAsync(new { name, steps = new[] { Echo("a") } });
        var (status, body) = await platform.SendAsync("/api/v2/pipelines", new { name, steps = new[] { Echo("a") } });
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("PIPELINE_EXISTS", body["error"]!["code"]!.GetValue<string>());
        using var byName = await platform.Http.GetAsync($"/api/v2/pipelines/{name}");
        Assert.Equal(HttpStatusCode.OK, byName.StatusCode);
    }

    [Fact]
    public async Task A_definition_can_be_sent_as_yaml_with_the_same_types_and_checks()
    {
        var name = Unique("yaml");
        var yaml = $$"""
            name: {{name}}
            on_failure: continue
            params:
              epochs: {type: integer, default: 2}
              label: "007"
            steps:
              - name: first
                type: ingestion
                script: echo.csx
                params: {times: 3, message: "${params.label}"}
              - name: second
                type: ingestion
                script: echo.csx
                depends_on: [first]
                when: "${steps.first.result.times} > 2"
            """;
        using var created = await platform.Http.PostAsync("/api/v2/pipelines", new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml"));
        var body = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.True(created.StatusCode == HttpStatusCode.Created, body.ToJsonString());
        var definition = body["definition"]!;
        Assert.Equal("continue", definition["on_failure"]!.GetValue<string>());
        Assert.Equal(2, definition["params"]!["epochs"]!["default"]!.GetValue<int>());
        Assert.Equal("007", definition["params"]!["label"]!.GetValue<string>());
        Assert.Equal(3, definition["steps"]![0]!["params"]!["times"]!.GetValue<int>());

        using var cyclic = await platform.Http.PostAsync("/api/v2/pipelines", new StringContent(
            $"name: {Unique("yaml")}\nsteps:\n  - {{name: a, type: ingestion, script: echo.csx, depends_on: [a]}}\n",
            System.Text.Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.BadRequest, cyclic.StatusCode);
        Assert.Contains("cannot depend on itself", await cyclic.Content.ReadAsStringAsync());
    }
}
