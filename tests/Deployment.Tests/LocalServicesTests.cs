using System.Diagnostics;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Deployment.Tests;

/// <summary>The local services script as eng/test.sh leaves it: all three services started before the tests.</summary>
public sealed class LocalServicesTests
{
    [Fact]
    public async Task Status_reports_every_service_up()
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Path.Combine("eng", "services.sh"));
        info.ArgumentList.Add("status");
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, output + await errors);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var service in new[] { "rabbitmq", "postgres", "s3" })
            Assert.Contains(lines, line => line.StartsWith($"{service}: up"));
    }
}
