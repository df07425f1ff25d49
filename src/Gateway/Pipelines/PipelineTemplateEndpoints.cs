using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AiPlatform.Gateway.Pipelines;

public sealed record TemplateSummaryView(string Name, string? Description, JsonNode Params, IReadOnlyList<string> Steps);

public sealed record TemplatePage(IReadOnlyList<TemplateSummaryView> Items, int Total);

public sealed record TemplateView(string Name, string? Description, JsonElement Definition);

/// <summary>
/// Shipped templates, as Argo's WorkflowTemplates and Prefect's deployments are used: listed, read, and run in one call
/// (<c>POST /api/v2/templates/{name}/execute</c> with <c>params</c>, like <c>argo submit --from workflowtemplate/NAME -p ...</c>),
/// or made into a pipeline of one's own (<c>POST /api/v2/pipelines</c> with <c>"template"</c>).
/// </summary>
public static class PipelineTemplateEndpoints
{
    public const string TemplateNotFound = "TEMPLATE_NOT_FOUND";

    public static void MapTemplateEndpoints(this RouteGroupBuilder v2)
    {
        v2.MapGet("/templates", (PipelineTemplates templates) =>
            {
                var all = templates.List();
                return Results.Ok(new TemplatePage(all.Select(t => new TemplateSummaryView(t.Name, t.Definition.Description,
                    JsonSerializer.SerializeToNode(t.Definition.Params, PipelineDefinition.Json)!, t.Definition.Steps.Select(s => s.Name).ToList())).ToList(), all.Count));
            })
            .WithName("ListPipelineTemplates").Produces<TemplatePage>();
        v2.MapGet("/templates/{name}", (string name, PipelineTemplates templates) =>
                templates.Find(name) is { } template
                    ? Results.Ok(new TemplateView(template.Name, template.Definition.Description, JsonSerializer.SerializeToElement(template.Definition, PipelineDefinition.Json)))
                    : NotFound(name))
            .WithName("GetPipelineTemplate").Produces<TemplateView>().Produces<ApiError>(404);
        v2.MapPost("/templates/{name}/execute", ExecuteAsync).WithName("ExecutePipelineTemplate").Accepts<JsonElement>("application/json")
            .Produces<RunCreatedView>(201).Produces<ApiError>(400).Produces<ApiError>(404).Produces<ApiError>(409);
    }

    /// <summary>
    /// Runs a template in one call: its pipeline (named after it, <c>created_by: template</c>) is stored or brought up to
    /// date with the file, then started like <c>POST /pipelines/{name}/execute</c>, so its runs are listed under it.
    /// </summary>
    private static async Task<IResult> ExecuteAsync(string name, HttpRequest http, ClaimsPrincipal user, PlatformDbContext db, PipelineTemplates templates,
        PipelineValidator validator, RunStarter starter, IPublishEndpoint bus, CancellationToken ct)
    {
        if (templates.Find(name) is not { } template) return NotFound(name);
        var (errors, missing) = await validator.ValidateAsync(template.Definition, ct);
        if (errors.Count > 0) return ApiError.BadRequest($"template '{name}' is not valid here: {string.Join("; ", errors)}");
        if (missing is not null) return missing.ToResult();
        var definitionJson = template.Definition.ToJson();
        for (var attempt = 1; ; attempt++)
        {
            var pipeline = await db.Pipelines.SingleOrDefaultAsync(p => p.Name == name, ct);
            if (pipeline is not null && pipeline.CreatedBy != PipelineTemplates.CreatedBy)
                return ApiError.Result(409, PipelineErrorCodes.PipelineExists,
                    $"a pipeline named '{name}' exists and was not made from template '{name}'; rename it to run the template");
            if (pipeline is null)
                db.Pipelines.Add(pipeline = new PipelineRecord
                {
                    Id = NewId.NextGuid(), Name = name, CreatedAt = DateTimeOffset.UtcNow, CreatedBy = PipelineTemplates.CreatedBy,
                });
            pipeline.Description = template.Definition.Description;
            pipeline.DefinitionJson = definitionJson;
            try
            {
                await db.SaveChangesAsync(ct);
                return await PipelineEndpoints.StartRunAsync(pipeline, http, user, db, starter, bus, ct);
            }
            catch (DbUpdateException e) when (attempt < 3 && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                // Two first executes at once: the other one stored the pipeline; run on it.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>A definition from <c>{"name": .., "template": .., "description": .., "params": {defaults}}</c>, or the refusal.</summary>
    public static (PipelineDefinition? Definition, IResult? Error) FromTemplate(JsonObject body, PipelineTemplates templates)
    {
        foreach (var (key, _) in body)
            if (key is not ("name" or "template" or "description" or "params"))
                return (null, ApiError.BadRequest($"a pipeline made from a template takes name, template, description and params; '{key}' is not one of them"));
        if (body["template"] is not JsonValue t || !t.TryGetValue<string>(out var templateName)) return (null, ApiError.BadRequest("field 'template' must be a string"));
        if (body["name"] is not JsonValue n || !n.TryGetValue<string>(out var name)) return (null, ApiError.BadRequest("field 'name' is required"));
        string? description = null;
        if (body["description"] is JsonValue d && !d.TryGetValue(out description)) return (null, ApiError.BadRequest("field 'description' must be a string"));
        if (body["params"] is not (null or JsonObject)) return (null, ApiError.BadRequest("field 'params' must be a JSON object"));
        if (templates.Find(templateName) is not { } template) return (null, NotFound(templateName));
        var (definition, error) = PipelineTemplates.Instantiate(template, name, description, body["params"] as JsonObject);
        return definition is null ? (null, ApiError.BadRequest(error!)) : (definition, null);
    }

    private static IResult NotFound(string name) => ApiError.Result(404, TemplateNotFound, $"there is no pipeline template named '{name}'");
}
