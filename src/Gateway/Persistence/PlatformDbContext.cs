using AiPlatform.Gateway.Alerts;
using AiPlatform.Gateway.Registry;
using AiPlatform.Gateway.Auth;
using AiPlatform.Gateway.Pipelines;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Gateway.Workers;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Persistence;

public class PlatformDbContext(DbContextOptions<PlatformDbContext> options) : DbContext(options)
{
    /// <summary>Only one pending or running task of a type may carry a name; the database enforces it so racing submits cannot both win.</summary>
    public const string ActiveNameIndex = "ix_tasks_active_type_name";

    public DbSet<TaskState> Tasks => Set<TaskState>();
    public DbSet<TaskEventRecord> TaskEvents => Set<TaskEventRecord>();
    public DbSet<WorkerRecord> Workers => Set<WorkerRecord>();
    public DbSet<RegisteredResource> RegistryResources => Set<RegisteredResource>();
    public DbSet<RegisteredVersion> RegistryVersions => Set<RegisteredVersion>();
    public DbSet<RegistryAlias> RegistryAliases => Set<RegistryAlias>();
    public DbSet<LineageEdge> RegistryLineage => Set<LineageEdge>();
    public DbSet<RegistryAuditRecord> RegistryAudit => Set<RegistryAuditRecord>();
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();
    public DbSet<PipelineRecord> Pipelines => Set<PipelineRecord>();
    public DbSet<PipelineRunState> PipelineRuns => Set<PipelineRunState>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<TaskState>(task =>
        {
            task.ToTable("tasks");
            task.HasKey(t => t.CorrelationId);
            task.Property(t => t.CorrelationId).HasColumnName("id");
            task.Property(t => t.CurrentState).HasMaxLength(32);
            task.Property(t => t.Type).HasMaxLength(32);
            task.Property(t => t.Name).HasMaxLength(128);
            task.Property(t => t.ParamsJson).HasColumnType("jsonb");
            task.Property(t => t.ResultJson).HasColumnType("jsonb");
            task.Property(t => t.ProgressMetricsJson).HasColumnType("jsonb");
            task.Property(t => t.Version).IsRowVersion();
            task.Property(t => t.SubmittedBy).HasMaxLength(128);
            task.HasIndex(t => new { t.Type, t.Name }).IsUnique().HasDatabaseName(ActiveNameIndex)
                .HasFilter("\"CurrentState\" IN ('Pending', 'Running')");
            task.HasIndex(t => new { t.CurrentState, t.CreatedAt });
            task.HasIndex(t => t.CreatedAt);
        });
        model.Entity<TaskEventRecord>(e =>
        {
            e.ToTable("task_events");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
            e.Property(x => x.Kind).HasMaxLength(32);
            e.Property(x => x.DataJson).HasColumnType("jsonb");
            e.HasIndex(x => new { x.TaskId, x.Id });
        });
        model.Entity<WorkerRecord>(w =>
        {
            w.ToTable("workers");
            w.HasKey(x => x.WorkerId);
            w.Property(x => x.WorkerId).HasMaxLength(200);
            w.Property(x => x.Kind).HasMaxLength(32);
            w.HasIndex(x => x.LastHeartbeatAt);
        });
        RegistryModel.Configure(model);
        PipelineModel.Configure(model);
        AlertModel.Configure(model);
        model.Entity<ApiKeyRecord>(k =>
        {
            k.ToTable("api_keys");
            k.HasKey(x => x.Id);
            k.Property(x => x.Name).HasMaxLength(128);
            k.Property(x => x.Role).HasMaxLength(16);
            k.HasIndex(x => x.Hash).IsUnique();
            k.HasIndex(x => x.Name).IsUnique().HasFilter("\"RevokedAt\" IS NULL");
        });
    }
}
