using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using AiPlatform.Fleet;

namespace Platform.Bench;

/// <summary>Runs bench/Celery (Debian's python3-celery) on the same services and reads its figures.</summary>
internal static class CeleryReference
{
    public static async Task<CeleryFigures> RunAsync(int latencyTasks, int throughputTasks)
    {
        var harness = Path.Combine(RepoPaths.Root, "bench", "Celery", "celery_bench.py");
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { harness, "--services-env", Path.Combine(RepoPaths.Root, ".state", "services.env"),
                "--latency-tasks", latencyTasks.ToString(), "--throughput-tasks", throughputTasks.ToString(), "--json" },
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the Celery harness failed (exit {process.ExitCode}); is python3-celery installed (bench/Celery/setup.sh)?");
        return JsonSerializer.Deserialize<CeleryFigures>(output.Trim().Split('\n')[^1])!;
    }
}

internal sealed record CeleryFigures(
    [property: JsonPropertyName("celery")] string Version,
    [property: JsonPropertyName("dispatch_p50_ms")] double DispatchP50Ms,
    [property: JsonPropertyName("dispatch_p99_ms")] double DispatchP99Ms,
    [property: JsonPropertyName("throughput_1_worker")] double Throughput1,
    [property: JsonPropertyName("throughput_2_workers")] double Throughput2);
