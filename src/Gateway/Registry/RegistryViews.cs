using System.Text.Json;

namespace AiPlatform.Gateway.Registry;

public sealed record CreatedByView(Guid? TaskId, string? Script, string? ScriptSha256);

/// <summary>Another version this one links to, by name and both its version numbers.</summary>
public sealed record VersionLinkView(string Kind, string Name, string Version, long LanceVersion, string Relation);

/// <summary>One registered version as the API shows it: <c>version</c> is the semantic version, <c>lance_version</c> the lake's number.</summary>
public sealed record VersionView(
    string Kind,
    string Name,
    string Version,
    long LanceVersion,
    string Reference,
    string Sha256,
    string Stage,
    IReadOnlyList<string> AllowedStages,
    IReadOnlyList<string> Aliases,
    DateTimeOffset CreatedAt,
    string Origin,
    CreatedByView CreatedBy,
    JsonElement Metrics,
    JsonElement Params,
    IReadOnlyList<VersionLinkView> Lineage,
    bool DataMissing);

public sealed record AliasView(string Alias, string Version, long LanceVersion, DateTimeOffset UpdatedAt);

/// <summary>What an alias move did: where the alias points now and where it pointed before.</summary>
public sealed record AliasMoveView(string Alias, VersionView Version, string? PreviousVersion);

/// <summary>The registry's side of a dataset or model: versions by stage, the newest semantic version, the aliases.</summary>
public sealed record RegistrySummaryView(string? LatestVersion, IReadOnlyDictionary<string, string> Aliases, IReadOnlyDictionary<string, int> Stages);

public sealed record AuditView(long Id, string Kind, string Name, string? Version, string Action, string Actor, DateTimeOffset At, string? Reason,
    JsonElement? Before, JsonElement? After);

public sealed record StageChangeRequest(string? Stage, string? Reason);

public sealed record AliasRequest(string? Version, string? Reason);

public sealed record RollbackRequest(string? Alias, string? ToVersion, string? Reason);

public sealed record LineageNode(string Id, string Kind, string Name, string? Version, long? LanceVersion, string? Stage, string? Status);

public sealed record LineageEdgeView(string From, string To, string Relation);

/// <summary>The lineage around one version: where it came from (datasets, parent models, tasks) and what came of it.</summary>
public sealed record LineageGraph(string Root, IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageEdgeView> Edges);
