using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Appends every status event, progress report and log line to the task's timeline. Events arrive in batches (all
/// that came within a few milliseconds, up to <see cref="BatchLimit"/>), and a batch is one insert in one transaction:
/// the timeline costs the database a transaction per batch, not per event.
/// </summary>
public class TaskEventRecorder<TEvent>(PlatformDbContext db, TaskFeed feed) : IConsumer<Batch<TEvent>>
    where TEvent : class, ITaskEvent
{
    public const int BatchLimit = 100;
    public static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(10);

    private static readonly string Kind = KindOf(typeof(TEvent));

    // The timeline's data uses the API's own naming (snake_case).
    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task Consume(ConsumeContext<Batch<TEvent>> context)
    {
        foreach (var item in context.Message)
        {
            var message = item.Message;
            db.TaskEvents.Add(new TaskEventRecord
            {
                TaskId = message.TaskId,
                Attempt = message.Attempt,
                Kind = Kind,
                WorkerId = message.WorkerId,
                Timestamp = message.Timestamp,
                DataJson = DataOf(message),
            });
        }
        await SaveAsync(db, context.Message, context.CancellationToken);
        foreach (var item in context.Message) feed.Publish(new TaskFeedItem(item.Message.TaskId, Kind, item.Message.Timestamp));
    }

    /// <summary>Saves the batch's timeline rows; a recorder whose events also change the tasks' own rows does both in one transaction.</summary>
    protected virtual Task SaveAsync(PlatformDbContext db, Batch<TEvent> batch, CancellationToken ct) => db.SaveChangesAsync(ct);

    /// <summary>
    /// The event as the timeline shows it. Fields that carry JSON as text on the bus (metrics, a result) appear as the
    /// objects they are, named as the task view names them: <c>metrics_json: "{...}"</c> becomes <c>metrics: {...}</c>,
    /// <c>metrics_json: null</c> becomes <c>metrics: null</c>, and text that is not JSON stays text under that name.
    /// </summary>
    private static string DataOf(TEvent message)
    {
        var data = JsonSerializer.SerializeToNode(message, DataJson)!.AsObject();
        foreach (var (name, value) in data.ToList())
        {
            if (!name.EndsWith("_json", StringComparison.Ordinal)) continue;
            data.Remove(name);
            data[name[..^"_json".Length]] = value is JsonValue text && text.TryGetValue<string>(out var json) ? ParsedOrText(json) : value;
        }
        return data.ToJsonString();
    }

    private static JsonNode? ParsedOrText(string json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return JsonValue.Create(json);
        }
    }

    /// <summary>TaskProgressed -> "progressed", TaskReplicaStarted -> "replica_started": what happened, as the timeline shows it.</summary>
    private static string KindOf(Type type) =>
        string.Concat(type.Name["Task".Length..].Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
