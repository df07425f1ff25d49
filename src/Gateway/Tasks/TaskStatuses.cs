namespace AiPlatform.Gateway.Tasks;

/// <summary>The saga's state names and the lower-case statuses the API shows for them.</summary>
public static class TaskStatuses
{
    public const string PendingState = "Pending";
    public const string RunningState = "Running";
    public const string CompletedState = "Completed";
    public const string FailedState = "Failed";
    public const string CancelledState = "Cancelled";

    public static readonly string[] ActiveStates = [PendingState, RunningState];
    public static readonly string[] FinalStates = [CompletedState, FailedState, CancelledState];

    public static readonly IReadOnlyList<string> All = ["pending", "running", "completed", "failed", "cancelled"];

    public static string ToStatus(string state) => state.ToLowerInvariant();

    public static string ToState(string status) => char.ToUpperInvariant(status[0]) + status[1..].ToLowerInvariant();

    public static bool IsFinal(string state) => FinalStates.Contains(state);
}
