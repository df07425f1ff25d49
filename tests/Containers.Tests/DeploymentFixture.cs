using System.Diagnostics;
using System.Net.Http.Headers;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Containers.Tests;

/// <summary>
/// The local compose deployment (eng/containers.sh), brought up once for the whole collection from nothing (whatever
/// an earlier run left is taken down first; images are built when missing) and taken down at the end.
/// </summary>
public sealed class DeploymentFixture : IDisposable
{
    public const int GatewayPort = 5180;
    private static readonly string Script = Path.Combine(RepoPaths.Root, "eng", "containers.sh");

    public HttpClient Http { get; }
    public TimeSpan UpTime { get; }
    public string UpOutput { get; }

    public DeploymentFixture()
    {
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{GatewayPort}"), Timeout = TimeSpan.FromSeconds(60) };
        if (Podman.Unavailable is not null) { UpOutput = ""; return; }
        Run(TimeSpan.FromMinutes(5), "down");
        var clock = Stopwatch.StartNew();
        UpOutput = Run(TimeSpan.FromMinutes(30), "up");
        UpTime = clock.Elapsed;
        var key = File.ReadAllText(Path.Combine(RepoPaths.Root, ".state", "containers", "admin.key")).Trim();
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    /// <summary>Runs eng/containers.sh with these arguments and returns what it printed; throws if it fails.</summary>
    public static string Run(TimeSpan timeout, params string[] arguments)
    {
        var environment = new Dictionary<string, string?> { ["AIP_CONTAINERS_GATEWAY_PORT"] = GatewayPort.ToString() };
        var (exitCode, output) = CommandLine.Run("bash", RepoPaths.Root, [Script, .. arguments], environment, timeout);
        if (exitCode != 0) throw new InvalidOperationException($"eng/containers.sh {string.Join(' ', arguments)} failed ({exitCode}):\n{output}");
        return output;
    }

    public void Dispose()
    {
        Http.Dispose();
        if (Podman.Unavailable is null) Run(TimeSpan.FromMinutes(5), "down");
    }
}

[CollectionDefinition(Name)]
public sealed class DeploymentCollection : ICollectionFixture<DeploymentFixture>
{
    public const string Name = "local compose deployment";
}
