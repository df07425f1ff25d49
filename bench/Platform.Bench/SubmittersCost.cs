namespace Platform.Bench;

/// <summary>
/// What runners kept per submitter cost when submitters take turns on one worker: one submitter against four, with
/// the worker keeping four used runners (the default) and keeping one (Worker:IdleRunners=1: a runner start per task).
/// </summary>
internal static class SubmittersCost
{
    public static Task RunAsync(int latencyTasks, int throughputTasks, int rounds) =>
        SettingsComparison.RunAsync(
            new("one submitter", new Dictionary<string, string>()),
            [
                new("4 submitters in turn", new Dictionary<string, string>(), Submitters: 4),
                new("4 in turn, 1 idle runner", new Dictionary<string, string> { ["Worker__IdleRunners"] = "1" }, Submitters: 4),
            ],
            latencyTasks, throughputTasks, rounds);
}
