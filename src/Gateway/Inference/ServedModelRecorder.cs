using System.Text.Json;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Inference;

/// <summary>
/// Keeps the version a service serves on its task (<c>served_model</c>) and in its timeline (<c>model_served</c>), as
/// its replicas report each start and swap. Reports can arrive out of order; the newest one wins.
/// </summary>
public sealed class ServedModelRecorder(PlatformDbContext db, TaskFeed feed) : IConsumer<ServiceModelServed>
{
    public const string TimelineKind = "model_served";

    public async Task Consume(ConsumeContext<ServiceModelServed> context)
    {
        var served = context.Message;
        await using var transaction = await db.Database.BeginTransactionAsync(context.CancellationToken);
        await db.Tasks
            .Where(t => t.CorrelationId == served.TaskId && (t.ServedModelAt == null || t.ServedModelAt < served.Timestamp))
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.ServedModel, served.Model).SetProperty(x => x.ServedModelAt, served.Timestamp),
                context.CancellationToken);
        db.TaskEvents.Add(new TaskEventRecord
        {
            TaskId = served.TaskId, Attempt = served.Attempt, Kind = TimelineKind, WorkerId = served.WorkerId, Timestamp = served.Timestamp,
            DataJson = JsonSerializer.Serialize(new { model = served.Model }),
        });
        await db.SaveChangesAsync(context.CancellationToken);
        await transaction.CommitAsync(context.CancellationToken);
        feed.Publish(new TaskFeedItem(served.TaskId, TimelineKind, served.Timestamp));
    }
}
