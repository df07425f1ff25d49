using System.Security.Claims;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Auth;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Registry;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Messages;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace AiPlatform.Gateway.Projects;

public static class ProjectsExtensions
{
    /// <summary>The request header (or query parameter, for the event stream) that names the project a key of every project acts in.</summary>
    public const string Header = "X-Project";

    public const string QueryName = "project";

    /// <summary>The scope's project, each project's lake, and the policy of cluster-wide endpoints.</summary>
    public static IServiceCollection AddProjects(this IServiceCollection services, LakeOptions lake)
    {
        services.TryAddScoped<ProjectScope>();
        services.AddSingleton(provider => new ProjectLakes(lake, provider.GetRequiredService<IOptions<RegistryOptions>>()));
        services.AddScoped<ProjectLake>();
        services.AddSingleton<TaskProjects>();
        services.AddSingleton<IAuthorizationHandler, EveryProjectHandler>();
        services.AddAuthorizationBuilder().AddPolicy(ProjectPolicies.EveryProject, p => p.AddRequirements(new EveryProjectRequirement()));
        return services;
    }

    /// <summary>
    /// Enters the request's project: its key's, or for a key of every project the one its <c>X-Project</c> header (or
    /// <c>?project=</c>) names, by default <c>default</c>. A project's key naming another project is refused.
    /// </summary>
    public static IApplicationBuilder UseProjectScope(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var requested = context.Request.Headers.TryGetValue(Header, out var header) ? header.ToString()
            : context.Request.Query.TryGetValue(QueryName, out var query) ? query.ToString() : null;
        if (requested is not null && !ProjectNames.IsValidName(requested))
        {
            await ApiError.BadRequest($"header '{Header}' must name a project: {ProjectNames.NameRule}; got '{requested}'").ExecuteAsync(context);
            return;
        }
        var own = context.User.KeyProject();
        if (own is not null && requested is not null && requested != own)
        {
            await ApiError.Result(StatusCodes.Status403Forbidden, AuthErrorCodes.Forbidden,
                $"'{context.User.ActorName()}' acts in project '{own}' only, not in '{requested}'").ExecuteAsync(context);
            return;
        }
        context.RequestServices.GetRequiredService<ProjectScope>().Enter(own ?? requested ?? ProjectNames.Default);
        await next(context);
    });

    /// <summary>Says in the OpenAPI document, on every operation, how a key of every project names the project it acts in.</summary>
    public static OpenApiOptions AddProjectHeader(this OpenApiOptions options) => options.AddOperationTransformer((operation, _, _) =>
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = $"The project a key of every project acts in (default: {ProjectNames.Default}); a project's own key may name only its project.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = @"^[a-z0-9][a-z0-9_-]{0,63}$" },
        });
        return Task.CompletedTask;
    });

    /// <summary><c>GET /api/v1/projects</c>: the projects the caller may act in (all of them for a key of every project).</summary>
    public static void MapProjectEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/projects", async (ClaimsPrincipal user, PlatformDbContext db, CancellationToken ct) =>
                Results.Ok(user.KeyProject() is { } own ? [own] : await KnownProjects.ListAsync(db, ct)))
            .WithTags("Projects").WithName("ListProjects").Produces<IReadOnlyList<string>>();

    /// <summary>A scope acting in <paramref name="project"/>, for work done on behalf of one of its tasks or runs.</summary>
    public static IServiceScope CreateScope(this IServiceScopeFactory scopes, string project)
    {
        var scope = scopes.CreateScope();
        scope.ServiceProvider.GetRequiredService<ProjectScope>().Enter(project);
        return scope;
    }
}

public static class ProjectPolicies
{
    /// <summary>Cluster-wide endpoints (keys, hooks, alerts, scaling): for keys of every project only.</summary>
    public const string EveryProject = "projects:every";
}

public sealed class EveryProjectRequirement : IAuthorizationRequirement;

public sealed class EveryProjectHandler : AuthorizationHandler<EveryProjectRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, EveryProjectRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated == true && context.User.KeyProject() is null) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
