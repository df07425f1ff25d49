using AiPlatform.Gateway.Api;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Checks that need the outside world before a task is accepted (for inference: that the model exists). A check may
/// record on the task what it resolved (the exact dataset or model version). The registry registers its check;
/// without one, every request is admitted.
/// </summary>
public sealed class TaskAdmission(IEnumerable<ITaskAdmissionCheck> checks)
{
    public async Task<TaskRefusal?> CheckAsync(SubmitTaskRequest request, TaskState task, CancellationToken ct)
    {
        foreach (var check in checks)
            if (await check.CheckAsync(request, task, ct) is { } refusal) return refusal;
        return null;
    }
}

public interface ITaskAdmissionCheck
{
    Task<TaskRefusal?> CheckAsync(SubmitTaskRequest request, TaskState task, CancellationToken ct);
}

/// <summary>Why a task is not accepted: the API answers it in the error envelope, a pipeline step fails with its message.</summary>
public sealed record TaskRefusal(int Status, string Code, string Message)
{
    public IResult ToResult() => ApiError.Result(Status, Code, Message);
}
