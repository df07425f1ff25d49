using Xunit;

namespace AiPlatform.Containers.Tests;

/// <summary>A test that needs podman: skipped, with the reason, only where podman cannot run containers.</summary>
public sealed class PodmanFactAttribute : FactAttribute
{
    public PodmanFactAttribute()
    {
        if (Podman.Unavailable is { } reason) Skip = reason;
    }
}
