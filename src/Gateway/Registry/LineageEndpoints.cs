using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry;

/// <summary><c>GET /api/v1/lineage?model=fashion-cnn@production</c> or <c>?dataset=fashion:2.0.0</c>: the graph around one version.</summary>
public static class LineageEndpoints
{
    public const int MaxDepth = 10;

    public static IEndpointRouteBuilder MapLineageEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/lineage").WithTags("Lineage").AddEndpointFilter<RegistryErrorFilter>()
            .MapGet("/", async (string? model, string? dataset, int? depth, ReferenceResolver resolver, RegistryService registry, PlatformDbContext db,
                CancellationToken ct) =>
            {
                if ((model is null) == (dataset is null)) throw RegistryException.BadRequest("give exactly one of the queries 'model' or 'dataset' (a reference such as fashion-cnn@production)");
                if (depth is < 1 or > MaxDepth) throw RegistryException.BadRequest($"query 'depth' must be between 1 and {MaxDepth}");
                var kind = model is not null ? EntryKind.Model : EntryKind.Dataset;
                var resolved = await resolver.ResolveAsync(kind, model ?? dataset!, ct);
                var root = resolved.Registered
                           ?? await registry.EnsureRegisteredAsync(kind, resolved.Name, resolved.LanceVersion, RegistryReconciler.Actor, ct)
                           ?? throw RegistryException.VersionNotFound(kind, resolved.Name, resolved.LanceVersion.ToString());
                return Results.Ok(await BuildAsync(db, root, depth ?? 3, ct));
            })
            .WithName("GetLineage").Produces<LineageGraph>().Produces<ApiError>(400).Produces<ApiError>(404).Produces<ApiError>(409);
        return app;
    }

    /// <summary>Walks lineage edges both ways from the root, then adds the tasks that produced each version and the services serving them.</summary>
    private static async Task<LineageGraph> BuildAsync(PlatformDbContext db, RegisteredVersion root, int depth, CancellationToken ct)
    {
        var seen = new HashSet<long> { root.Id };
        var edges = new List<LineageEdge>();
        var frontier = new List<long> { root.Id };
        for (var step = 0; step < depth && frontier.Count > 0; step++)
        {
            var found = await db.RegistryLineage.AsNoTracking()
                .Where(e => frontier.Contains(e.VersionId) || frontier.Contains(e.SourceVersionId)).ToListAsync(ct);
            var next = new List<long>();
            foreach (var edge in found.Where(e => !edges.Any(k => k.Id == e.Id)))
            {
                edges.Add(edge);
                foreach (var id in new[] { edge.VersionId, edge.SourceVersionId })
                    if (seen.Add(id)) next.Add(id);
            }
            frontier = next;
        }

        var ids = seen.ToList();
        var versions = await db.RegistryVersions.AsNoTracking().Where(v => ids.Contains(v.Id))
            .Join(db.RegistryResources, v => v.ResourceId, r => r.Id, (v, r) => new { Version = v, r.Kind, r.Name }).ToListAsync(ct);
        string NodeId(long versionId)
        {
            var v = versions.Single(x => x.Version.Id == versionId);
            return $"{v.Kind}:{v.Name}:{v.Version.SemanticVersion}";
        }
        var nodes = versions.Select(v => new LineageNode(NodeId(v.Version.Id), v.Kind, v.Name, v.Version.SemanticVersion, v.Version.LanceVersion,
            v.Version.Stage, null)).ToList();
        var edgeViews = edges.Select(e => new LineageEdgeView(NodeId(e.SourceVersionId), NodeId(e.VersionId), e.Relation)).ToList();

        var taskIds = versions.Where(v => v.Version.CreatedByTaskId is not null).Select(v => v.Version.CreatedByTaskId!.Value).Distinct().ToList();
        var producers = await db.Tasks.AsNoTracking().Where(t => taskIds.Contains(t.CorrelationId)).ToListAsync(ct);
        foreach (var task in producers)
        {
            nodes.Add(TaskNode(task));
            foreach (var made in versions.Where(v => v.Version.CreatedByTaskId == task.CorrelationId))
                edgeViews.Add(new LineageEdgeView($"task:{task.CorrelationId}", NodeId(made.Version.Id), "produced"));
        }

        var served = versions.Where(v => v.Kind == "model").ToDictionary(v => LakeReference.Exact(v.Name, v.Version.LanceVersion), v => v.Version.Id);
        var exacts = served.Keys.ToList();
        // A service on an alias serves whatever the alias moved to since its submit: what it reports serving wins.
        var services = await db.Tasks.AsNoTracking()
            .Where(t => t.Type == TaskTypes.Inference && (t.ServedModel ?? t.ResolvedModel) != null && exacts.Contains((t.ServedModel ?? t.ResolvedModel)!))
            .ToListAsync(ct);
        foreach (var service in services)
        {
            nodes.Add(TaskNode(service));
            edgeViews.Add(new LineageEdgeView(NodeId(served[(service.ServedModel ?? service.ResolvedModel)!]), $"task:{service.CorrelationId}", "serves"));
        }
        return new LineageGraph(NodeId(root.Id), nodes, edgeViews);
    }

    private static LineageNode TaskNode(TaskState task) =>
        new($"task:{task.CorrelationId}", $"{task.Type}_task", task.Name, null, null, null, TaskStatuses.ToStatus(task.CurrentState));
}
