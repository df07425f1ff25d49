using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Pipelines.Scheduling;

/// <summary>
/// Where a pipeline's schedule is; a row of <c>pipeline_schedules</c>. <see cref="NextRunAt"/> is also the claim: a
/// gateway starts an occurrence only by moving it on from the value it read, so of several gateways exactly one does.
/// </summary>
public class PipelineScheduleState
{
    public Guid PipelineId { get; set; }
    public string Cron { get; set; } = "";
    public string TimeZone { get; set; } = "UTC";
    public DateTimeOffset NextRunAt { get; set; }
    public DateTimeOffset? LastRunAt { get; set; }
    public Guid? LastRunId { get; set; }
    public long MissedTotal { get; set; }
}

/// <summary>
/// Occurrences of a schedule that were not run: reported, never replayed. One row per gap (a gateway outage over a
/// per-minute schedule is one row with its count), in <c>pipeline_missed_runs</c>.
/// </summary>
public class MissedScheduledRuns
{
    public long Id { get; set; }
    public Guid PipelineId { get; set; }
    public DateTimeOffset FirstDueAt { get; set; }
    public DateTimeOffset LastDueAt { get; set; }
    public int Count { get; set; }
    public string Reason { get; set; } = "";
    public DateTimeOffset RecordedAt { get; set; }
}

public static class ScheduleModel
{
    public static void Configure(ModelBuilder model)
    {
        model.Entity<PipelineScheduleState>(s =>
        {
            s.ToTable("pipeline_schedules");
            s.HasKey(x => x.PipelineId);
            // Declared so a pipeline and its schedule created together are inserted in that order.
            s.HasOne<PipelineRecord>().WithOne().HasForeignKey<PipelineScheduleState>(x => x.PipelineId);
        });
        model.Entity<MissedScheduledRuns>(m =>
        {
            m.ToTable("pipeline_missed_runs");
            m.HasKey(x => x.Id);
            m.Property(x => x.Id).UseIdentityAlwaysColumn();
            m.HasIndex(x => new { x.PipelineId, x.RecordedAt });
            m.HasOne<PipelineRecord>().WithMany().HasForeignKey(x => x.PipelineId);
        });
    }
}
