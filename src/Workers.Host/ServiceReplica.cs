using AiPlatform.Messages;
using AiPlatform.ScriptRunner;

namespace AiPlatform.Workers.Host;

/// <summary>
/// One service's replica in this worker: its script-runner process and the model version it serves. A replica of a
/// service that follows an alias moves to wherever the alias points, one swap at a time, never back to an older pointer.
/// </summary>
/// <param name="model">The version the replica started on.</param>
/// <param name="pointerAsOf">When the alias pointer that chose <paramref name="model"/> was set: older pointers are ignored.</param>
public sealed class ServiceReplica(StartInferenceService command, RunnerProcess runner, string model, DateTimeOffset pointerAsOf)
{
    private readonly SemaphoreSlim _moving = new(1, 1);
    private DateTimeOffset _pointerAsOf = pointerAsOf;

    public StartInferenceService Command => command;
    public RunnerProcess Runner => runner;

    /// <summary>The exact model version this replica answers with now.</summary>
    public string Model { get; private set; } = model;

    public bool Follows(ModelAliasPointer pointer) => command.Follows == pointer.Reference && command.Project == pointer.Project;

    /// <summary>
    /// Serves the version <paramref name="pointer"/> names, unless a newer pointer was already applied or the alias is gone
    /// (the replica then keeps its version). Returns true when the served version changed.
    /// </summary>
    public async Task<bool> FollowAsync(ModelAliasPointer pointer, CancellationToken cancellation)
    {
        await _moving.WaitAsync(cancellation);
        try
        {
            if (pointer.AsOf < _pointerAsOf) return false;
            _pointerAsOf = pointer.AsOf;
            if (pointer.Version is not { } version || version == Model) return false;
            await runner.SwapModelAsync(version, cancellation);
            Model = version;
            return true;
        }
        finally
        {
            _moving.Release();
        }
    }
}
