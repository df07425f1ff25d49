using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Projects;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Pipelines;

/// <summary>A stored pipeline definition; a row of <c>pipelines</c>.</summary>
public class PipelineRecord : IProjectOwned
{
    public Guid Id { get; set; }
    public string Project { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public string DefinitionJson { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }

    public PipelineDefinition Definition() => PipelineDefinition.FromJson(DefinitionJson);
}

/// <summary>One run of a pipeline as its saga knows it; a row of <c>pipeline_runs</c>.</summary>
public class PipelineRunState : SagaStateMachineInstance, IProjectOwned
{
    public Guid CorrelationId { get; set; }

    /// <summary>Its pipeline's project, which its steps' tasks belong to.</summary>
    public string Project { get; set; } = "";
    public string CurrentState { get; set; } = PipelineRunStatuses.PendingState;
    public Guid PipelineId { get; set; }

    /// <summary>The definition as it was when the run started: editing a pipeline never changes a run under way.</summary>
    public string DefinitionJson { get; set; } = "{}";

    /// <summary>The params this run uses (defaults plus overrides), all of their declared types.</summary>
    public string ParamsJson { get; set; } = "{}";

    /// <summary>Each step's script, snapshotted when the run started, so every attempt and resume runs the same code.</summary>
    public string ScriptsJson { get; set; } = "{}";

    /// <summary>The steps' progress (<see cref="StepRun"/>), one JSON array: the run's row is the one thing its saga updates.</summary>
    public string StepsJson { get; set; } = "[]";

    public string? SubmittedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? CancelRequestedAt { get; set; }
    public string? Error { get; set; }
    public int Resumes { get; set; }
    public uint Version { get; set; }

    public PipelineDefinition Definition() => PipelineDefinition.FromJson(DefinitionJson);

    public List<StepRun> Steps() => JsonSerializer.Deserialize<List<StepRun>>(StepsJson, PipelineDefinition.Json)!;

    public void SetSteps(List<StepRun> steps) => StepsJson = JsonSerializer.Serialize(steps, PipelineDefinition.Json);

    public Dictionary<string, TaskScript> Scripts() => JsonSerializer.Deserialize<Dictionary<string, TaskScript>>(ScriptsJson, PipelineDefinition.Json)!;

    public JsonObject Params() => JsonNode.Parse(ParamsJson)!.AsObject();
}

/// <summary>Where one step of a run is.</summary>
public sealed class StepRun
{
    public string Name { get; set; } = "";
    public string State { get; set; } = StepStates.Waiting;

    /// <summary>Attempts started, over the whole run (a resume continues the count).</summary>
    public int Attempts { get; set; }

    /// <summary>The current attempt's task; every attempt's task is in <see cref="TaskIds"/>.</summary>
    public Guid? TaskId { get; set; }
    public List<Guid> TaskIds { get; set; } = [];
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? RetryAt { get; set; }
    public JsonNode? Result { get; set; }
    public string? Error { get; set; }

    /// <summary>An action step's message (<see cref="StepActions"/>) for its current attempt; null for a task step.</summary>
    public string? Action { get; set; }

    /// <summary>Dataset and model versions the step saved (<c>name -> name@N</c>): downstream steps and resumed runs read exactly these.</summary>
    public Dictionary<string, string> Produced { get; set; } = [];
}

public static class StepStates
{
    public const string Waiting = "waiting";
    public const string Running = "running";
    public const string Retrying = "retrying";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
    public const string Cancelled = "cancelled";
    public const string UpstreamFailed = "upstream_failed";

    public static bool IsSettled(string state) => state is Completed or Failed or Skipped or Cancelled or UpstreamFailed;

    public static bool IsFailure(string state) => state is Failed or Cancelled or UpstreamFailed;
}

public static class PipelineRunStatuses
{
    public const string PendingState = "Pending";
    public const string RunningState = "Running";
    public const string CompletedState = "Completed";
    public const string FailedState = "Failed";
    public const string CancelledState = "Cancelled";

    public static string ToStatus(string state) => state.ToLowerInvariant();
}

public static class PipelineModel
{
    public static void Configure(ModelBuilder model)
    {
        model.Entity<PipelineRecord>(p =>
        {
            p.ToTable("pipelines");
            p.HasKey(x => x.Id);
            p.Property(x => x.Name).HasMaxLength(64);
            p.Property(x => x.DefinitionJson).HasColumnType("jsonb");
            p.HasIndex(x => new { x.Project, x.Name }).IsUnique();
        });
        model.Entity<PipelineRunState>(r =>
        {
            r.ToTable("pipeline_runs");
            r.HasKey(x => x.CorrelationId);
            r.Property(x => x.CorrelationId).HasColumnName("Id");
            r.Property(x => x.CurrentState).HasMaxLength(32);
            r.Property(x => x.DefinitionJson).HasColumnType("jsonb");
            r.Property(x => x.ParamsJson).HasColumnType("jsonb");
            r.Property(x => x.ScriptsJson).HasColumnType("jsonb");
            r.Property(x => x.StepsJson).HasColumnType("jsonb");
            r.Property(x => x.Version).IsRowVersion();
            r.HasIndex(x => new { x.PipelineId, x.CreatedAt });
        });
        Scheduling.ScheduleModel.Configure(model);
    }
}
