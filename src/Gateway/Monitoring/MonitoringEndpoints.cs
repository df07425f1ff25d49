using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Gateway.Tasks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Monitoring;

public sealed record WorkerView(
    [property: JsonPropertyName("worker_id")] string WorkerId,
    string Kind,
    string Host,
    int Concurrency,
    [property: JsonPropertyName("running_task_ids")] IReadOnlyList<Guid> RunningTaskIds,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("last_heartbeat_at")] DateTimeOffset LastHeartbeatAt,
    bool Stale);

/// <summary>What the monitoring page shows: queues, workers, and a live stream of changes (server-sent events).</summary>
public static class MonitoringEndpoints
{
    public static void MapMonitoringEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").WithTags("Monitoring");
        group.MapGet("/queues", async (QueueMonitor queues, CancellationToken ct) => Results.Ok(await queues.GetQueuesAsync(ct)))
            .Produces<IReadOnlyList<QueueView>>();
        group.MapGet("/workers", async (PlatformDbContext db, IOptions<TaskOptions> options, ProjectScope project, TaskProjects tasks, CancellationToken ct) =>
            Results.Ok(await ForProjectAsync(await WorkersAsync(db, options.Value, ct), tasks, project.Required, ct))).Produces<IReadOnlyList<WorkerView>>();
        group.MapGet("/stream", StreamAsync).WithMetadata(RequestLimits.StreamConnections).ExcludeFromDescription();
    }

    /// <summary>
    /// One connection per page: "task" events as they happen (the page refetches what changed) and the shared
    /// "snapshot" of queues and workers every interval, so pages never poll; both cut to the page's project.
    /// Connections are capped.
    /// </summary>
    private static async Task StreamAsync(HttpContext http, TaskFeed feed, SnapshotBroadcaster snapshots, ProjectScope scope, TaskProjects tasks,
        CancellationToken ct)
    {
        var project = scope.Required;
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        // Headers go out at once, so the page knows it is connected before the first event.
        await http.Response.Body.FlushAsync(ct);
        var writeLock = new SemaphoreSlim(1, 1);
        async Task SendAsync(string name, string json)
        {
            await writeLock.WaitAsync(ct);
            try
            {
                await http.Response.WriteAsync($"event: {name}\ndata: {json}\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }
            finally
            {
                writeLock.Release();
            }
        }

        async Task SendSnapshotsAsync()
        {
            await foreach (var snapshot in snapshots.SubscribeAsync(ct)) await SendAsync("snapshot", await ForProjectAsync(snapshot, tasks, project, ct));
        }

        async Task SendTaskChangesAsync()
        {
            await foreach (var item in feed.SubscribeAsync(ct))
                if (await tasks.OfAsync(item.TaskId, ct) == project)
                    await SendAsync("task", JsonSerializer.Serialize(new { id = item.TaskId, kind = item.Kind, timestamp = item.Timestamp }, JsonOptions));
        }

        try
        {
            await Task.WhenAll(SendSnapshotsAsync(), SendTaskChangesAsync());
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The page went away.
        }
    }

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The workers as <paramref name="project"/> may see them: running only its own tasks, as far as it can tell.</summary>
    private static async Task<List<WorkerView>> ForProjectAsync(IEnumerable<WorkerView> workers, TaskProjects tasks, string project, CancellationToken ct)
    {
        var seen = new List<WorkerView>();
        foreach (var worker in workers) seen.Add(worker with { RunningTaskIds = await tasks.OfProjectAsync(worker.RunningTaskIds, project, ct) });
        return seen;
    }

    /// <summary>A shared snapshot (see <see cref="SnapshotBroadcaster"/>) with its workers cut to <paramref name="project"/>.</summary>
    private static async Task<string> ForProjectAsync(string snapshot, TaskProjects tasks, string project, CancellationToken ct)
    {
        var node = JsonNode.Parse(snapshot)!;
        if (node["workers"] is not JsonArray workers) return snapshot;
        foreach (var worker in workers.OfType<JsonObject>())
        {
            var running = worker["running_task_ids"]?.AsArray().Select(id => id!.GetValue<Guid>()) ?? [];
            worker["running_task_ids"] = new JsonArray([.. (await tasks.OfProjectAsync(running, project, ct)).Select(id => (JsonNode?)JsonValue.Create(id))]);
        }
        return node.ToJsonString();
    }

    internal static async Task<IReadOnlyList<WorkerView>> WorkersAsync(PlatformDbContext db, TaskOptions options, CancellationToken ct)
    {
        var recent = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(10);
        var staleBefore = DateTimeOffset.UtcNow - options.HeartbeatTimeout;
        var workers = await db.Workers.AsNoTracking().Where(w => w.StoppedAt == null && w.LastHeartbeatAt > recent)
            .OrderBy(w => w.Kind).ThenBy(w => w.WorkerId).ToListAsync(ct);
        return workers.Select(w => new WorkerView(w.WorkerId, w.Kind, w.Host, w.Concurrency, w.RunningTaskIds, w.StartedAt, w.LastHeartbeatAt,
            w.LastHeartbeatAt < staleBefore)).ToList();
    }
}
