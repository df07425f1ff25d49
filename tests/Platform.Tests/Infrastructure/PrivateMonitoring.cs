using System.Diagnostics;
using AiPlatform.Fleet;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>
/// A Prometheus and an Alertmanager of a test's own, started by eng/monitoring.sh (own state folder, free ports), with
/// the project's configuration and alert rules. Processes started with <see cref="TargetsDirectory"/> register as targets.
/// </summary>
public sealed class PrivateMonitoring
{
    private readonly string _state = Directory.CreateTempSubdirectory("aiplatform-monitoring-").FullName;

    public string TargetsDirectory => Path.Combine(_state, "prometheus", "targets");
    public Uri PrometheusUrl { get; } = new($"http://127.0.0.1:{FreePorts.Next()}/");
    public int AlertmanagerPort { get; } = FreePorts.Next();

    /// <summary>Prometheus's warnings and errors so far (discovery and scrape trouble), for a failing test's message.</summary>
    public IEnumerable<string> PrometheusComplaints() =>
        File.ReadLines(Path.Combine(_state, "logs", "prometheus.log")).Where(line => line.Contains("level=warn") || line.Contains("level=error"));

    /// <summary>A file beside the monitoring state, readable by its owner only (Alertmanager's key for the gateway).</summary>
    public string PrivateFile(string name) => Path.Combine(_state, name);

    /// <param name="alertsTo">The gateway receiver Alertmanager sends to, and the file holding the key it sends.</param>
    public Task StartAsync((Uri Url, string KeyFile)? alertsTo = null) => RunAsync("start", alertsTo);

    /// <summary>Stops both and deletes the state; returns the scrape target files processes left behind.</summary>
    public async Task<string[]> StopAsync()
    {
        var leftovers = Directory.Exists(TargetsDirectory) ? Directory.GetFiles(TargetsDirectory, "*-*.json") : [];
        await RunAsync("stop", null);
        Directory.Delete(_state, recursive: true);
        return leftovers;
    }

    private async Task RunAsync(string command, (Uri Url, string KeyFile)? alertsTo)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(RepoPaths.Root, "eng", "monitoring.sh"));
        info.ArgumentList.Add(command);
        info.Environment["MONITORING_STATE"] = _state;
        info.Environment["PROMETHEUS_PORT"] = PrometheusUrl.Port.ToString();
        info.Environment["ALERTMANAGER_PORT"] = AlertmanagerPort.ToString();
        if (alertsTo is { } to)
        {
            info.Environment["ALERT_WEBHOOK_URL"] = to.Url.ToString();
            info.Environment["ALERT_WEBHOOK_KEY_FILE"] = to.KeyFile;
        }
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"monitoring.sh {command} failed: {output}{await errors}");
    }
}
