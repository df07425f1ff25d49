using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Workers;

/// <summary>Keeps each worker's latest heartbeat, and the last time each running task was seen alive.</summary>
public sealed class WorkerHeartbeatConsumer(PlatformDbContext db) : IConsumer<WorkerHeartbeat>
{
    public async Task Consume(ConsumeContext<WorkerHeartbeat> context)
    {
        var beat = context.Message;
        var running = beat.RunningTaskIds.ToArray();
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO workers ("WorkerId", "Kind", "Host", "ProcessId", "Concurrency", "RunningTaskIds", "StartedAt", "LastHeartbeatAt")
            VALUES ({beat.WorkerId}, {beat.Kind}, {beat.Host}, {beat.ProcessId}, {beat.Concurrency}, {running}, {beat.StartedAt}, {beat.Timestamp})
            ON CONFLICT ("WorkerId") DO UPDATE SET "RunningTaskIds" = EXCLUDED."RunningTaskIds", "Concurrency" = EXCLUDED."Concurrency",
                "LastHeartbeatAt" = GREATEST(workers."LastHeartbeatAt", EXCLUDED."LastHeartbeatAt"), "StoppedAt" = NULL
            """, context.CancellationToken);
        if (running.Length > 0)
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO task_heartbeats ("TaskId", "WorkerId", "LastSeenAt")
                SELECT id, {beat.WorkerId}, {beat.Timestamp} FROM unnest({running}) AS id
                ON CONFLICT ("TaskId") DO UPDATE SET "WorkerId" = EXCLUDED."WorkerId",
                    "LastSeenAt" = GREATEST(task_heartbeats."LastSeenAt", EXCLUDED."LastSeenAt")
                """, context.CancellationToken);
        }
    }
}

public sealed class WorkerStoppedConsumer(PlatformDbContext db) : IConsumer<WorkerStopped>
{
    public Task Consume(ConsumeContext<WorkerStopped> context) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"""UPDATE workers SET "StoppedAt" = {context.Message.Timestamp}, "RunningTaskIds" = {Array.Empty<Guid>()} WHERE "WorkerId" = {context.Message.WorkerId}""",
            context.CancellationToken);
}
