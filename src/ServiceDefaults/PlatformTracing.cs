using System.Diagnostics;

namespace AiPlatform.ServiceDefaults;

/// <summary>
/// The platform's own spans (a worker's claim and run of a task), beside ASP.NET Core's and MassTransit's. Spans are
/// created only while tracing listens (an OTLP endpoint is configured): <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null otherwise, so every use is null-safe and costs nothing then.
/// </summary>
public static class PlatformTracing
{
    public const string SourceName = "AiPlatform";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>On every span about one task, so a trace can be found from the task it ran.</summary>
    public const string TaskIdTag = "aiplatform.task.id";

    public const string AttemptTag = "aiplatform.task.attempt";
}
