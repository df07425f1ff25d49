using AiPlatform.Gateway.Alerts;
using AiPlatform.Gateway.Registry;
using AiPlatform.Gateway.Auth;
using AiPlatform.Gateway.Pipelines;
using AiPlatform.Gateway.Projects;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Gateway.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AiPlatform.Gateway.Persistence;

public class PlatformDbContext(DbContextOptions<PlatformDbContext> options) : DbContext(options)
{
    /// <summary>
    /// The project this context acts in (set per DI scope, see <see cref="ProjectScope"/>): its queries see only that
    /// project's rows, and rows it adds belong to it. Without one (the saga, the monitors), every project's rows.
    /// </summary>
    public ProjectScope? Scope { get; set; }

    // Read by the query filters at each query's execution, so a pooled context follows the scope it is lent to.
    private string? ProjectFilter => Scope?.Current;

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
            task.HasIndex(t => new { t.Project, t.Type, t.Name }).IsUnique().HasDatabaseName(ActiveNameIndex)
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
        OwnedByProject<TaskState>(model);
        OwnedByProject<RegisteredResource>(model);
        OwnedByProject<RegistryAuditRecord>(model);
        OwnedByProject<PipelineRecord>(model);
        OwnedByProject<PipelineRunState>(model);
        model.Entity<ApiKeyRecord>(k =>
        {
            k.ToTable("api_keys");
            k.HasKey(x => x.Id);
            k.Property(x => x.Name).HasMaxLength(128);
            k.Property(x => x.Role).HasMaxLength(16);
            k.Property(x => x.Project).HasMaxLength(Messages.ProjectNames.MaxNameLength);
            k.HasIndex(x => x.Hash).IsUnique();
            k.HasIndex(x => x.Name).IsUnique().HasFilter("\"RevokedAt\" IS NULL");
        });
    }

    private void OwnedByProject<T>(ModelBuilder model) where T : class, IProjectOwned
    {
        model.Entity<T>().Property(x => x.Project).HasMaxLength(Messages.ProjectNames.MaxNameLength);
        model.Entity<T>().HasQueryFilter(x => ProjectFilter == null || x.Project == ProjectFilter);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        StampProjects();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        StampProjects();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>New rows belong to the scope's project; a row of no project is a bug where it was made, not a row for everyone.</summary>
    private void StampProjects()
    {
        foreach (var entry in ChangeTracker.Entries<IProjectOwned>())
        {
            if (entry.State != EntityState.Added || entry.Entity.Project.Length > 0) continue;
            entry.Entity.Project = ProjectFilter
                                   ?? throw new InvalidOperationException($"a new {entry.Metadata.ClrType.Name} names no project, and no project was entered");
        }
    }
}

public static class PlatformDbContextExtensions
{
    /// <summary>
    /// The platform's context per DI scope, held to the project that scope acts in (<see cref="ProjectScope"/>). Pooled:
    /// a context per saga message and per request, and building one's services from scratch each time showed as a tenth
    /// of the gateway's CPU under load.
    /// </summary>
    public static IServiceCollection AddPlatformDbContext(this IServiceCollection services, Action<DbContextOptionsBuilder> configure)
    {
        services.AddPooledDbContextFactory<PlatformDbContext>(configure);
        services.TryAddScoped<ProjectScope>();
        services.AddScoped(provider =>
        {
            var db = provider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext();
            db.Scope = provider.GetRequiredService<ProjectScope>();
            return db;
        });
        return services;
    }
}
