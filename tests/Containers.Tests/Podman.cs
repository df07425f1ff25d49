using System.Text.Json.Nodes;
using AiPlatform.Fleet;

namespace AiPlatform.Containers.Tests;

/// <summary>The podman commands the tests use to look at and disturb the deployment.</summary>
public static class Podman
{
    public const string Project = "aiplatform-local";

    /// <summary>Why podman cannot run containers here, or null when it can.</summary>
    public static string? Unavailable { get; } = FindWhyUnavailable();

    private static string? FindWhyUnavailable()
    {
        try
        {
            var (exitCode, output) = Run(["info", "--format", "{{.Host.OCIRuntime.Name}}"], TimeSpan.FromMinutes(1));
            return exitCode == 0 ? null : $"podman info failed (run `bash eng/containers.sh install`): {output.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"podman is not installed and tests/Containers.Tests/setup.sh could not install it ({e.Message})";
        }
    }

    public static (int ExitCode, string Output) Run(IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        CommandLine.Run("podman", RepoPaths.Root, arguments, timeout: timeout ?? TimeSpan.FromMinutes(2));

    public static string Output(params string[] arguments)
    {
        var (exitCode, output) = Run(arguments);
        if (exitCode != 0) throw new InvalidOperationException($"podman {string.Join(' ', arguments)} failed: {output}");
        return output.Trim();
    }

    /// <summary>The deployment's containers of one compose service, by name.</summary>
    public static IReadOnlyList<string> ContainersOf(string service) =>
        Output("ps", "--filter", $"label=io.podman.compose.project={Project}", "--filter", $"label=com.docker.compose.service={service}",
                "--format", "{{.Names}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToList();

    public static JsonNode Inspect(string container) => JsonNode.Parse(Output("inspect", container))!.AsArray()[0]!;

    /// <summary>The host name a container's processes see (the worker ids and the hold script's result carry it).</summary>
    public static string HostName(string container) => Inspect(container)["Config"]!["Hostname"]!.GetValue<string>();
}
