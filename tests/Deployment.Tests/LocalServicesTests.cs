using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Deployment.Tests;

/// <summary>The local services script: as eng/test.sh leaves it (all started), and refusing ports held by others.</summary>
public sealed class LocalServicesTests
{
    [Fact]
    public async Task Status_reports_every_service_up()
    {
        var (exitCode, output) = await RunAsync(RepoPaths.Root, "status", new Dictionary<string, string>());

        Assert.True(exitCode == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var service in new[] { "rabbitmq", "postgres", "s3" })
            Assert.Contains(lines, line => line.StartsWith($"{service}: up"));
    }

    [Fact]
    public async Task A_start_over_ports_another_process_holds_is_refused_naming_each_port_and_its_holder()
    {
        // A checkout of the scripts of its own, so its state (and whatever a wrong start would leave) stays apart.
        var checkout = Directory.CreateTempSubdirectory("aip-ports-");
        Directory.CreateDirectory(Path.Combine(checkout.FullName, "eng"));
        foreach (var script in new[] { "services.sh", "ports.sh", "monitoring.sh" })
            File.Copy(Path.Combine(RepoPaths.Root, "eng", script), Path.Combine(checkout.FullName, "eng", script));
        Directory.CreateDirectory(Path.Combine(checkout.FullName, "deploy", "prometheus"));
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "deploy", "prometheus"), "*.yml"))
            File.Copy(file, Path.Combine(checkout.FullName, "deploy", "prometheus", Path.GetFileName(file)));

        string[] held = ["RABBIT_PORT", "PG_PORT", "S3_PORT", "PROMETHEUS_PORT", "ALERTMANAGER_PORT"];
        var listeners = held.ToDictionary(name => name, _ => new TcpListener(IPAddress.Loopback, 0));
        var environment = new Dictionary<string, string>();
        try
        {
            foreach (var (name, listener) in listeners)
            {
                listener.Start();
                environment[$"AIP_{name}"] = ((IPEndPoint)listener.LocalEndpoint).Port.ToString();
            }
            foreach (var name in new[] { "RABBIT_MGMT_PORT", "RABBIT_DIST_PORT", "EPMD_PORT", "CEPH_MON_PORT" }) environment[$"AIP_{name}"] = FreePort().ToString();

            var (exitCode, output) = await RunAsync(checkout.FullName, "start", environment);
            output += await File.ReadAllTextAsync(Path.Combine(checkout.FullName, ".state", "logs", "start-monitoring.out"));

            Assert.NotEqual(0, exitCode);
            foreach (var name in held)
                Assert.Contains($"port {environment[$"AIP_{name}"]} ({name}) is held by pid {Environment.ProcessId}", output);
        }
        finally
        {
            foreach (var listener in listeners.Values) listener.Stop();
            await RunAsync(checkout.FullName, "stop", environment);
            checkout.Delete(recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string checkout, string command, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(checkout, "eng", "services.sh"));
        info.ArgumentList.Add(command);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output + await errors);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
