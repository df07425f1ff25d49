using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Auth;
using AiPlatform.Gateway.Projects;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Cluster;

/// <summary>
/// <c>/api/v2/cluster</c>, admin only: the workers (<c>nodes</c>), what they offer and what waits for them
/// (<c>resources</c>), and <c>scale</c>, which sets a kind's worker count through the deployment's own means.
/// </summary>
public static class ClusterEndpoints
{
    public const string ModeNotSet = "CLUSTER_MODE_NOT_SET";
    public const string ScaleFailed = "SCALE_FAILED";

    public static IEndpointRouteBuilder MapClusterEndpoints(this IEndpointRouteBuilder app)
    {
        var cluster = app.MapGroup("/api/v2/cluster").WithTags("Cluster").RequireAuthorization(Roles.Policy(Roles.Admin), ProjectPolicies.EveryProject);

        cluster.MapGet("/nodes", (ClusterNodes nodes) => Results.Ok(nodes.Nodes()))
            .WithName("ListClusterNodes").Produces<IReadOnlyList<NodeView>>();

        cluster.MapGet("/resources", async (ClusterResources resources, CancellationToken ct) => Results.Ok(await resources.GetAsync(ct)))
            .WithName("GetClusterResources").Produces<ClusterResourcesView>();

        cluster.MapPost("/scale", ScaleAsync)
            .WithName("ScaleWorkers").Accepts<ScaleRequest>("application/json")
            .Produces<ScaleView>(200).Produces<ScaleView>(202).Produces<ApiError>(400).Produces<ApiError>(409).Produces<ApiError>(502);
        return app;
    }

    private static async Task<IResult> ScaleAsync(ScaleRequest? body, IOptions<ClusterOptions> options, [FromServices] IWorkerScaler? scaler,
        CancellationToken ct)
    {
        var max = options.Value.MaxReplicas;
        if (body?.Kind is not { } kind || !ClusterOptions.Kinds.Contains(kind))
            return ApiError.BadRequest($"field 'kind' must be one of {string.Join(", ", ClusterOptions.Kinds)}");
        if (body.Replicas is not { } replicas || replicas < 0 || replicas > max)
            return ApiError.BadRequest($"field 'replicas' must be an integer from 0 to {max} (Cluster:MaxReplicas)");
        if (scaler is null)
            return ApiError.Result(StatusCodes.Status409Conflict, ModeNotSet,
                "this gateway does not know how its workers are deployed: set Cluster:Mode to local, compose or kubernetes");
        try
        {
            var scaled = await scaler.ScaleAsync(kind, replicas, ct);
            // A command to run changed nothing yet; anything else was handed to what converges on it.
            return scaled.Command is null ? Results.Json(scaled, statusCode: StatusCodes.Status202Accepted) : Results.Ok(scaled);
        }
        catch (ScaleFailedException e)
        {
            return ApiError.Result(StatusCodes.Status502BadGateway, ScaleFailed, e.Message);
        }
    }
}
