using AiPlatform.Gateway.Api;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Checks that need the outside world before a task is accepted (for inference: that the model exists). The lake
/// check is registered by the lake module; without one, every request is admitted.
/// </summary>
public sealed class TaskAdmission(IEnumerable<ITaskAdmissionCheck> checks)
{
    public async Task<IResult?> CheckAsync(SubmitTaskRequest request, CancellationToken ct)
    {
        foreach (var check in checks)
            if (await check.CheckAsync(request, ct) is { } refusal) return refusal;
        return null;
    }
}

public interface ITaskAdmissionCheck
{
    Task<IResult?> CheckAsync(SubmitTaskRequest request, CancellationToken ct);
}
