using System.Text.RegularExpressions;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Deployment.Tests;

/// <summary>deploy/prometheus checked by the tools of the Prometheus and Alertmanager versions the platform runs.</summary>
public sealed partial class PrometheusConfigTests
{
    private static readonly string PrometheusDirectory = Path.Combine(RepoPaths.Root, "deploy", "prometheus");

    [Fact]
    public void Alert_rules_pass_their_promtool_unit_tests()
    {
        var (exitCode, output) = CommandLine.Run("promtool", PrometheusDirectory, ["test", "rules", "alert-rules.test.yml"]);
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS", output);
    }

    [Fact]
    public void Every_alert_the_platform_promises_exists_and_has_unit_tests_that_see_it_fire_and_stay_quiet()
    {
        var rules = File.ReadAllText(Path.Combine(PrometheusDirectory, "alert-rules.yml"));
        var tests = File.ReadAllText(Path.Combine(PrometheusDirectory, "alert-rules.test.yml"));
        var alerts = AlertName().Matches(rules).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["TaskFailureRateHigh", "QueueBacklog", "WorkerHeartbeatsMissing", "WorkerMemoryNearLimit", "PredictLatencyAboveObjective"], alerts);
        foreach (var alert in alerts)
        {
            var cases = Regex.Matches(tests, $@"alertname: {alert}\s+exp_alerts:(\s*\[\])?").ToList();
            Assert.True(cases.Any(c => c.Groups[1].Success), $"{alert}: no case where it stays quiet");
            Assert.True(cases.Any(c => !c.Groups[1].Success), $"{alert}: no case where it fires");
        }
    }

    [Fact]
    public void Local_prometheus_configuration_is_valid()
    {
        var (exitCode, output) = CheckPrometheusConfig(Path.Combine(PrometheusDirectory, "prometheus.yml"));
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS: 1 rule files found", output);
    }

    [Fact]
    public void Compose_prometheus_configuration_is_valid()
    {
        var (exitCode, output) = CheckPrometheusConfig(Path.Combine(PrometheusDirectory, "compose", "prometheus.yml"));
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void Alertmanager_configuration_is_valid_and_sends_resolved_alerts_to_the_gateway()
    {
        var (exitCode, output) = CommandLine.Run("amtool", PrometheusDirectory, ["check-config", "alertmanager.yml"]);
        Assert.True(exitCode == 0, output);
        var config = File.ReadAllText(Path.Combine(PrometheusDirectory, "alertmanager.yml"));
        Assert.Contains("url: http://gateway:8080/api/v1/alerts", config);
        Assert.Contains("send_resolved: true", config);
    }

    /// <summary>Checked beside a copy of the rules, where the configuration expects them.</summary>
    private static (int ExitCode, string Output) CheckPrometheusConfig(string configPath)
    {
        var directory = Directory.CreateTempSubdirectory("aiplatform-prometheus-check-");
        try
        {
            File.Copy(configPath, Path.Combine(directory.FullName, "prometheus.yml"));
            File.Copy(Path.Combine(PrometheusDirectory, "alert-rules.yml"), Path.Combine(directory.FullName, "alert-rules.yml"));
            return CommandLine.Run("promtool", directory.FullName, ["check", "config", "prometheus.yml"]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"^\s*- alert: (\w+)", RegexOptions.Multiline)]
    private static partial Regex AlertName();
}
