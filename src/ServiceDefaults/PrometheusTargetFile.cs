using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AiPlatform.ServiceDefaults;

/// <summary>
/// Registers this process with Prometheus's file-based service discovery: with <c>Monitoring:TargetsDirectory</c> set,
/// it writes <c>{service}-{pid}.json</c> (gateway-*, worker-*) there once its HTTP endpoint listens (the port may be picked at random) and
/// deletes it on shutdown, so the scrape list follows the fleet as processes come and go.
/// </summary>
public sealed class PrometheusTargetFile(IServer server, IHostApplicationLifetime lifetime, IConfiguration configuration,
    IHostEnvironment environment, ILogger<PrometheusTargetFile> logger) : IHostedService
{
    private string? _path;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Write);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_path is not null) File.Delete(_path);
        return Task.CompletedTask;
    }

    private void Write()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var targets = addresses.Select(a => new Uri(a)).Select(u => $"{(u.Host is "0.0.0.0" or "[::]" or "+" or "*" ? "127.0.0.1" : u.Host)}:{u.Port}").ToList();
        logger.LogInformation("HTTP endpoint (/metrics, /healthz, /readyz) listening on {Addresses}", string.Join(", ", addresses));
        var directory = configuration["Monitoring:TargetsDirectory"];
        if (string.IsNullOrEmpty(directory) || targets.Count == 0) return;

        // AiPlatform.Gateway -> gateway, AiPlatform.Workers.Train -> worker-train: the file names the scrape jobs match.
        var service = environment.ApplicationName.Replace("AiPlatform.", "").Replace("Workers.", "worker-").ToLowerInvariant();
        Directory.CreateDirectory(directory);
        RemoveTargetsOfDeadProcesses(directory);
        _path = Path.Combine(directory, $"{service}-{Environment.ProcessId}.json");
        // Written aside and renamed, so Prometheus never reads half a file.
        var temporary = _path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(new[] { new { targets, labels = new { service } } }));
        File.Move(temporary, _path, overwrite: true);
    }

    /// <summary>
    /// A process killed outright (kill -9, the OOM killer) leaves its file behind, and Prometheus would scrape a target
    /// that is down for good: its heartbeat alert would never resolve. The folder belongs to this machine's Prometheus,
    /// so the pid in a file's name is a pid of this machine.
    /// </summary>
    private void RemoveTargetsOfDeadProcesses(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*-*.json"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (!int.TryParse(name[(name.LastIndexOf('-') + 1)..], out var pid) || Directory.Exists($"/proc/{pid}")) continue;
            logger.LogInformation("Removing the scrape target {File}: its process is gone", Path.GetFileName(file));
            File.Delete(file);
        }
    }
}
