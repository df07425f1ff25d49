namespace AiPlatform.Messages;

/// <summary>Where a model's alias points, as of the alias' last change.</summary>
/// <param name="Version">The exact version the alias points at (<c>fashion-cnn@5</c>); null when the alias no longer exists.</param>
/// <param name="AsOf">When the alias last changed: a replica never trades a newer pointer for an older one that arrives late.</param>
/// <param name="Project">The model's project: the same name in another project is another model.</param>
public record ModelAliasPointer(string Model, string Alias, string? Version, DateTimeOffset AsOf, string Project = ProjectNames.Default)
{
    /// <summary>The reference a service follows, <c>fashion-cnn@production</c>.</summary>
    public string Reference => $"{Model}@{Alias}";
}

/// <summary>
/// Gateway -> every serve worker: a model's alias moved (promote, rollback, set or deleted). Replicas of services that
/// follow it load the version it points at now and swap to it.
/// </summary>
public record ModelAliasMoved(ModelAliasPointer Pointer);

/// <summary>Serve worker -> gateway, answered with a <see cref="ModelAliasPointer"/>: where an alias points now, asked when a
/// replica starts and periodically, so a worker that missed a move (a restart, a broker outage) still converges.</summary>
public record ResolveModelAlias(string Model, string Alias, string Project = ProjectNames.Default);

/// <summary>Serve worker -> gateway: the exact model version a replica of the service serves from now on.</summary>
public record ServiceModelServed(Guid TaskId, int Attempt, string WorkerId, DateTimeOffset Timestamp, string Model) : ITaskEvent;
