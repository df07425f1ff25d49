using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Chaos.Tests;

/// <summary>
/// The chaos suite: a seeded run of faults against a working fleet. The test command runs a short one; a long one is
/// `AIP_CHAOS_MINUTES=15 dotnet test tests/Chaos.Tests -c Release` (see README). It restarts the shared services, so
/// it runs alone (this project has one test, and the test command runs projects one after another).
/// </summary>
public sealed class ChaosSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task No_task_is_stuck_lost_or_completed_twice_and_no_worker_is_left_deaf()
    {
        var plan = ChaosPlan.FromEnvironment();
        var report = await new ChaosRun(plan, line => output.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}")).RunAsync();
        output.WriteLine(report.ToString());
        // Printed to the console too, so the figures show in the test command's output without a logger setting.
        Console.WriteLine(report.ToString());

        Assert.True(report.Submitted > 0, "the driver submitted nothing");
        Assert.Empty(report.Stuck);
        Assert.Empty(report.DuplicateCompletions);
        Assert.Empty(report.BadDatasets);
        Assert.Empty(report.DeafProcesses);
        // Every task of the workload can complete; a fault may cost a retry, never the task.
        Assert.Equal(report.Submitted, report.FinalStates.GetValueOrDefault("completed"));
    }
}
