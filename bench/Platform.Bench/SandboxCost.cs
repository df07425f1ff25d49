namespace Platform.Bench;

/// <summary>What the runner sandbox costs a task: runners unconfined against runners under bubblewrap (issue 13 allows 10 %).</summary>
internal static class SandboxCost
{
    public static Task RunAsync(int latencyTasks, int throughputTasks, int rounds) =>
        SettingsComparison.RunAsync(
            new("unconfined", new Dictionary<string, string> { ["Worker__Sandbox"] = "none" }),
            [new("sandboxed", new Dictionary<string, string> { ["Worker__Sandbox"] = "bubblewrap" })],
            latencyTasks, throughputTasks, rounds);
}
