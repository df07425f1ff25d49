using AiPlatform.Gateway.Projects;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry;

/// <summary>A dataset or model the registry manages; its bytes live in the lake under the same name.</summary>
public class RegisteredResource : IProjectOwned
{
    public long Id { get; set; }
    public string Project { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Retention: keep at least this many newest versions in place (null: the default policy).</summary>
    public int? KeepLast { get; set; }

    /// <summary>Retention: archive versions not read for this many days (null: the default, 30).</summary>
    public int? ArchiveAfterDays { get; set; }
}

/// <summary>One committed Lance version with its identity, origin and place in the lifecycle.</summary>
public class RegisteredVersion
{
    public long Id { get; set; }
    public long ResourceId { get; set; }
    public long LanceVersion { get; set; }
    public string SemanticVersion { get; set; } = "";
    public int Major { get; set; }
    public int Minor { get; set; }
    public int Patch { get; set; }
    public string Sha256 { get; set; } = "";
    public string Stage { get; set; } = Stages.Registered;

    /// <summary><c>task</c> when a completed task reported it, <c>reconciled</c> when found in the lake at start-up.</summary>
    public string Origin { get; set; } = "";
    public Guid? CreatedByTaskId { get; set; }
    public string? ScriptPath { get; set; }
    public string? ScriptSha256 { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string MetricsJson { get; set; } = "{}";
    public string ParamsJson { get; set; } = "{}";

    /// <summary>Set when the lake no longer has this version's data (found by reconciliation).</summary>
    public bool DataMissing { get; set; }

    /// <summary>When the version last changed stage: how long a soft delete has lasted.</summary>
    public DateTimeOffset? StageChangedAt { get; set; }

    /// <summary>When a task last pinned or a script last opened this version (see <see cref="RegistryReads"/>): what retention's "not read for D days" means.</summary>
    public DateTimeOffset? LastReadAt { get; set; }
}

public class RegistryAlias
{
    public long ResourceId { get; set; }
    public string Alias { get; set; } = "";
    public long VersionId { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An edge of the lineage graph: <see cref="VersionId"/> was made from <see cref="SourceVersionId"/>.</summary>
public class LineageEdge
{
    public long Id { get; set; }
    public long VersionId { get; set; }
    public long SourceVersionId { get; set; }

    /// <summary><c>input</c> (a dataset read) or <c>parent</c> (a model loaded, e.g. fine-tuned).</summary>
    public string Relation { get; set; } = "";
}

/// <summary>One change to the registry, kept after the resource itself is gone.</summary>
public class RegistryAuditRecord : IProjectOwned
{
    public long Id { get; set; }
    public string Project { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Name { get; set; } = "";
    public string? SemanticVersion { get; set; }
    public string Action { get; set; } = "";
    public string Actor { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public string? Reason { get; set; }
    public string? BeforeJson { get; set; }
    public string? AfterJson { get; set; }
}

public static class RegistryModel
{
    /// <summary>Maps the registry's tables (created by the <c>20261201200000_Registry</c> migration).</summary>
    public static void Configure(ModelBuilder model)
    {
        model.Entity<RegisteredResource>(r =>
        {
            r.ToTable("registry_resources");
            r.Property(x => x.Id).UseIdentityAlwaysColumn();
            r.HasIndex(x => new { x.Project, x.Kind, x.Name }).IsUnique();
        });
        model.Entity<RegisteredVersion>(v =>
        {
            v.ToTable("registry_versions");
            v.Property(x => x.Id).UseIdentityAlwaysColumn();
            v.Property(x => x.MetricsJson).HasColumnType("jsonb");
            v.Property(x => x.ParamsJson).HasColumnType("jsonb");
            v.HasIndex(x => new { x.ResourceId, x.LanceVersion }).IsUnique();
            v.HasIndex(x => new { x.ResourceId, x.SemanticVersion }).IsUnique();
        });
        model.Entity<RegistryAlias>(a =>
        {
            a.ToTable("registry_aliases");
            a.HasKey(x => new { x.ResourceId, x.Alias });
        });
        model.Entity<LineageEdge>(e =>
        {
            e.ToTable("registry_lineage");
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
        });
        model.Entity<RegistryAuditRecord>(a =>
        {
            a.ToTable("registry_audit");
            a.Property(x => x.Id).UseIdentityAlwaysColumn();
            a.Property(x => x.BeforeJson).HasColumnType("jsonb");
            a.Property(x => x.AfterJson).HasColumnType("jsonb");
        });
        Hooks.HookModel.Configure(model);
    }
}
