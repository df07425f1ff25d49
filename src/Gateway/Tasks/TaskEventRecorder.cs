using System.Text.Json;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Gateway.Tasks;

/// <summary>Appends every status event, progress report and log line to the task's timeline.</summary>
public sealed class TaskEventRecorder<TEvent>(PlatformDbContext db, TaskFeed feed) : IConsumer<TEvent>
    where TEvent : class, ITaskEvent
{
    private static readonly string Kind = KindOf(typeof(TEvent));

    // The timeline's data uses the API's own naming (snake_case).
    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task Consume(ConsumeContext<TEvent> context)
    {
        var message = context.Message;
        db.TaskEvents.Add(new TaskEventRecord
        {
            TaskId = message.TaskId,
            Attempt = message.Attempt,
            Kind = Kind,
            WorkerId = message.WorkerId,
            Timestamp = message.Timestamp,
            DataJson = JsonSerializer.Serialize(message, DataJson),
        });
        await db.SaveChangesAsync(context.CancellationToken);
        feed.Publish(new TaskFeedItem(message.TaskId, Kind, message.Timestamp));
    }

    /// <summary>TaskProgressed -> "progressed": the event's verb, as the timeline shows it.</summary>
    private static string KindOf(Type type) => type.Name["Task".Length..].ToLowerInvariant();
}
