using AiPlatform.ScriptRunner;
using AiPlatform.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace AiPlatform.Workers.Host;

/// <summary>
/// The whole Main of a worker executable: a worker host with its small HTTP endpoint (metrics and health), or with the
/// runner flag, a script-runner child.
/// </summary>
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

        var builder = WebApplication.CreateBuilder(args);
        builder.AddWorkerHost(kind, configureRole);
        builder.AddWorkerHttpEndpoint();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.RunAsync();
        // Non-zero when the worker gave up on its broker link: its supervisor must start a fresh one.
        return Environment.ExitCode;
    }
}
