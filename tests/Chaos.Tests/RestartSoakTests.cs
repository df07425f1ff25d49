using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Chaos.Tests;

/// <summary>
/// Broker restarts and gateway kills mid-task never run a task twice. The test command makes 2 rounds of each; the
/// issue's measurement is `AIP_RESTART_ROUNDS=20 dotnet test tests/Chaos.Tests -c Release --filter RestartSoakTests`.
/// </summary>
public sealed class RestartSoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Restarting_the_broker_or_the_gateway_mid_task_never_runs_a_task_twice()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("AIP_RESTART_ROUNDS"), CultureInfo.InvariantCulture, out var r) ? r : 2;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AIP_CHAOS_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261202;
        var report = await new RestartSoak(rounds, seed, line => output.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}")).RunAsync();
        output.WriteLine(report.ToString());
        Console.WriteLine(report.ToString());

        Assert.Equal(rounds * 2, report.Rounds.Values.Sum());
        Assert.Empty(report.RunTwice);
        Assert.Empty(report.NotCompleted);
    }
}
