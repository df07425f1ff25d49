using System.Text.Json;
using AiPlatform.Gateway.Registry;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>
/// Steps the gateway carries out itself, on the registry and the services, rather than as a script on a worker (as
/// Argo's resource templates act on the cluster): <c>model_version</c> looks a model reference up, <c>promote</c> moves
/// an alias to a version, <c>deploy</c> makes sure a serving service runs a model.
/// </summary>
public static class StepActions
{
    public const string ModelVersion = "model_version";
    public const string Promote = "promote";
    public const string Deploy = "deploy";
    public static readonly string[] Types = [ModelVersion, Promote, Deploy];

    public static bool IsAction(string type) => Types.Contains(type);

    /// <summary>Whether a step of this type runs a script (and so must name one): tasks, and deploy's serving script.</summary>
    public static bool RunsScript(string type) => !IsAction(type) || type == Deploy;

    /// <summary>The alias a promote moves when its <c>output</c> names none.</summary>
    public static string AliasOf(string? output) => string.IsNullOrEmpty(output) ? RegistryService.Production : output;

    /// <summary>What an action step must say, checked with the rest of the pipeline before anything runs.</summary>
    public static IEnumerable<string> Errors(StepDefinition step, string at)
    {
        if (!IsAction(step.Type)) yield break;
        if (string.IsNullOrWhiteSpace(step.Model)) yield return $"{at}.model is required for a {step.Type} step (the model reference it acts on)";
        if (step.Input is not null) yield return $"{at}.input does not apply to a {step.Type} step";
        if (step.Type == Deploy)
        {
            if (string.IsNullOrWhiteSpace(step.Output)) yield return $"{at}.output is required for a deploy step: the name of the service it deploys to";
            else if (!step.Output.Contains("${") && !SubmitTaskRequest.NamePattern().IsMatch(step.Output))
                yield return $"{at}.output must be a service name: 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit";
        }
        if (step.Type == Promote && step.Output is { } alias && !alias.Contains("${") && AliasError(alias) is { } aliasError)
            yield return $"{at}.output: {aliasError}";
        if (step.Type != Deploy && step.Params?.Any(p => p.Key != "reason") == true)
            yield return $"{at}.params: a {step.Type} step takes only 'reason'";
    }

    private static string? AliasError(string alias)
    {
        try
        {
            LakeReference.ValidateAlias(alias);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>The message that carries the step out, from its definition with references filled in.</summary>
    public static RunPipelineAction Message(PipelineRunState run, StepDefinition step, Guid actionId, string model, string? output, string paramsJson,
        TaskScript? script) =>
        new(run.CorrelationId, step.Name, actionId, step.Type, model, output, paramsJson, script, run.SubmittedBy, run.Project);

    public static string Serialize(RunPipelineAction action) => JsonSerializer.Serialize(action, PipelineDefinition.Json);

    public static RunPipelineAction Deserialize(string json) => JsonSerializer.Deserialize<RunPipelineAction>(json, PipelineDefinition.Json)!;
}
