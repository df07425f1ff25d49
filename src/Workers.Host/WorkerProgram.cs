using AiPlatform.ScriptRunner;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AiPlatform.Workers.Host;

/// <summary>The whole Main of a worker executable: a worker host, or with the runner flag, a script-runner child.</summary>
public static class WorkerProgram
{
    public static async Task<int> RunAsync(string[] args, string kind, Action<WorkerRole> configureRole)
    {
        if (args.Contains(RunnerLaunch.RunnerModeFlag))
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var cacheDirectory = configuration["Worker:ScriptCacheDirectory"] ?? new WorkerOptions().ScriptCacheDirectory;
            return await RunnerChild.RunAsync(cacheDirectory);
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(args);
        // As the gateway's: one line per entry, UTC timestamp, task scope.
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.IncludeScopes = true;
        });
        builder.AddWorkerHost(kind, configureRole);
        await builder.Build().RunAsync();
        return 0;
    }
}
