using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// Alerts end to end on real parts: a fleet whose gateway forwards alerts to two webhooks (JSON and Slack's shape) and to
/// e-mail, scraped by a Prometheus of its own with the project's rules, whose Alertmanager sends to the gateway's receiver
/// with an operator key.
/// </summary>
public sealed class AlertingTests(AlertingTests.AlertingFleet alerting, ITestOutputHelper output) : IClassFixture<AlertingTests.AlertingFleet>
{
    private LocalFleet Fleet => alerting.Fleet;

    public sealed class AlertingFleet : IAsyncLifetime
    {
        public PrivateMonitoring Monitoring { get; } = new();
        public WebhookSink Hooks { get; } = new();
        public SmtpSink Smtp { get; } = new();
        public LocalFleet Fleet { get; private set; } = null!;
        public string OperatorKey { get; private set; } = "";

        public async Task InitializeAsync()
        {
            Fleet = await LocalFleet.StartAsync(new FleetOptions
            {
                Workers = ["Workers.Ingest"],
                Settings = new Dictionary<string, string>
                {
                    ["Monitoring__TargetsDirectory"] = Monitoring.TargetsDirectory,
                    ["Alerts__Webhooks__0__Url"] = new Uri(Hooks.Url, "json").ToString(),
                    ["Alerts__Webhooks__0__Format"] = "json",
                    ["Alerts__Webhooks__1__Url"] = new Uri(Hooks.Url, "slack").ToString(),
                    ["Alerts__Webhooks__1__Format"] = "slack",
                    ["Alerts__Email__SmtpHost"] = "127.0.0.1",
                    ["Alerts__Email__SmtpPort"] = Smtp.Port.ToString(),
                    ["Alerts__Email__Security"] = "none",
                    ["Alerts__Email__From"] = "aiplatform@example.test",
                    ["Alerts__Email__To__0"] = "oncall@example.test",
                    ["Alerts__ForwardTimeout"] = "00:00:05",
                },
            });
            OperatorKey = await Fleet.CreateKeyAsync("alertmanager", "operator");
            var keyFile = Monitoring.PrivateFile("alertmanager.key");
            await File.WriteAllTextAsync(keyFile, OperatorKey);
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await Monitoring.StartAsync((new Uri(Fleet.GatewayUrl, "/api/v1/alerts"), keyFile));
        }

        public async Task DisposeAsync()
        {
            await Fleet.DisposeAsync();
            await Monitoring.StopAsync();
            await Hooks.DisposeAsync();
            await Smtp.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_burst_of_failing_tasks_fires_the_failure_rate_alert_at_the_receiver_page_webhooks_and_mail_and_then_resolves()
    {
        // Prometheus counts no increase into a series' first sample: one failure first, seen by Prometheus, then the burst.
        await FailTasksAsync(1);
        await WaitForPrometheusAsync("""sum(aiplatform_tasks_finished_total{state="failed"})""");
        var burstEnded = await FailTasksAsync(4);
        var clock = Stopwatch.StartNew();

        static bool Firing(JsonNode body) => body["status"]?.GetValue<string>() == "firing" && Names(body).Contains("TaskFailureRateHigh");
        var (json, jsonAt) = await alerting.Hooks.WaitForAsync("/json", Firing, TimeSpan.FromMinutes(3));
        output.WriteLine($"failing burst -> alert at the forwarded webhook: {(jsonAt - burstEnded).TotalSeconds:0.0} s");
        var alert = json["alerts"]!.AsArray().First(a => a!["name"]!.GetValue<string>() == "TaskFailureRateHigh")!;
        Assert.Equal("page", alert["severity"]!.GetValue<string>());
        Assert.Equal("More than 10% of tasks failed over the last minute", alert["summary"]!.GetValue<string>());

        var (slack, _) = await alerting.Hooks.WaitForAsync("/slack", b => b["text"]!.GetValue<string>().Contains("TaskFailureRateHigh"), TimeSpan.FromSeconds(10));
        Assert.StartsWith("[FIRING:1] TaskFailureRateHigh", slack["text"]!.GetValue<string>());
        var mail = await WaitForMailAsync("TaskFailureRateHigh");
        Assert.Equal(["oncall@example.test"], mail.To);
        Assert.Contains("Subject: [FIRING:1] TaskFailureRateHigh", mail.Message);

        var firing = await ListAsync("firing");
        var recorded = Assert.Single(firing, a => a!["name"]!.GetValue<string>() == "TaskFailureRateHigh")!;
        Assert.Null(recorded["ends_at"]);

        // The rule looks at one minute: once the burst is older, the alert resolves, and that is forwarded too.
        static bool Resolved(JsonNode body) => body["alerts"]!.AsArray().Any(a =>
            a!["name"]!.GetValue<string>() == "TaskFailureRateHigh" && a["status"]!.GetValue<string>() == "resolved");
        var (_, resolvedAt) = await alerting.Hooks.WaitForAsync("/json", Resolved, TimeSpan.FromMinutes(4));
        output.WriteLine($"failing burst -> resolved at the forwarded webhook: {(resolvedAt - burstEnded).TotalSeconds:0.0} s (test ran {clock.Elapsed.TotalSeconds:0} s)");
        var resolved = await ListAsync("resolved");
        var episode = Assert.Single(resolved, a => a!["fingerprint"]!.GetValue<string>() == recorded["fingerprint"]!.GetValue<string>())!;
        Assert.NotNull(episode["ends_at"]);
    }

    [Fact]
    public async Task A_forward_that_fails_answers_502_so_alertmanager_sends_again_and_the_alert_is_recorded_once()
    {
        using var alertmanager = Fleet.Client(alerting.OperatorKey);
        var fingerprint = Guid.NewGuid().ToString("N")[..16];
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        alerting.Hooks.Failing = true;
        try
        {
            using var refused = await alertmanager.PostAsJsonAsync("/api/v1/alerts", Notification(fingerprint, "firing", startsAt, null));
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
            var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("ALERT_FORWARD_FAILED", error["code"]!.GetValue<string>());
            Assert.Contains("1 alert(s) recorded", error["message"]!.GetValue<string>());
            Assert.Contains("answered 503", error["message"]!.GetValue<string>());
        }
        finally
        {
            alerting.Hooks.Failing = false;
        }
        using (var again = await alertmanager.PostAsJsonAsync("/api/v1/alerts", Notification(fingerprint, "firing", startsAt, null)))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await alerting.Hooks.WaitForAsync("/json", b => b["alerts"]!.AsArray().Any(a => a!["fingerprint"]!.GetValue<string>() == fingerprint),
            TimeSpan.FromSeconds(5));

        // Resolved, then a late retry of the firing notification: the episode stays resolved.
        var endsAt = DateTimeOffset.UtcNow;
        using (var resolvedAnswer = await alertmanager.PostAsJsonAsync("/api/v1/alerts", Notification(fingerprint, "resolved", startsAt, endsAt)))
            Assert.Equal(HttpStatusCode.OK, resolvedAnswer.StatusCode);
        using (var late = await alertmanager.PostAsJsonAsync("/api/v1/alerts", Notification(fingerprint, "firing", startsAt, null)))
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);

        var all = await ListAsync(null);
        var episode = Assert.Single(all, a => a!["fingerprint"]!.GetValue<string>() == fingerprint)!;
        Assert.Equal("resolved", episode["status"]!.GetValue<string>());
        Assert.Equal(endsAt.ToUnixTimeSeconds(), episode["ends_at"]!.GetValue<DateTimeOffset>().ToUnixTimeSeconds());
        Assert.Equal("disk on fire", episode["summary"]!.GetValue<string>());
        Assert.Equal("eu-1", episode["labels"]!["region"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""[]""", "Alertmanager webhook notification")]
    [InlineData("""{"alerts":[]}""", "field 'version' must be \"4\"")]
    [InlineData("""{"version":"4"}""", "field 'alerts' must be an array")]
    [InlineData("""{"version":"4","alerts":[{"status":"burning","fingerprint":"ab","labels":{"alertname":"X"},"startsAt":"2026-12-02T10:00:00Z"}]}""",
        "alerts[0].status must be one of firing, resolved")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"X"},"startsAt":"2026-12-02T10:00:00Z"}]}""",
        "alerts[0].fingerprint must be 1-64 characters")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing","fingerprint":"ab","labels":{"job":"x"},"startsAt":"2026-12-02T10:00:00Z"}]}""",
        "alerts[0].labels.alertname must be 1-256 characters")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing","fingerprint":"ab","labels":{"alertname":"X","n":1},"startsAt":"2026-12-02T10:00:00Z"}]}""",
        "alerts[0].labels.n must be a string")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing","fingerprint":"ab","labels":{"alertname":"X"},"startsAt":"yesterday"}]}""",
        "alerts[0].startsAt must be an RFC 3339 time")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing","fingerprint":"ab","labels":{"alertname":"X"}""", "not valid JSON")]
    public async Task The_receiver_refuses_what_is_not_an_alertmanager_notification_saying_what_is_wrong(string body, string message)
    {
        using var alertmanager = Fleet.Client(alerting.OperatorKey);
        using var response = await alertmanager.PostAsync("/api/v1/alerts", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("INVALID_REQUEST", error["code"]!.GetValue<string>());
        Assert.Contains(message, error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Viewers_read_alerts_but_cannot_post_them_and_a_bad_filter_is_refused()
    {
        using var viewer = Fleet.Client(await Fleet.CreateKeyAsync($"viewer-{Guid.NewGuid():N}"[..20], "viewer"));
        using var posted = await viewer.PostAsJsonAsync("/api/v1/alerts", Notification("viewer-post", "firing", DateTimeOffset.UtcNow, null));
        Assert.Equal(HttpStatusCode.Forbidden, posted.StatusCode);
        using var listed = await viewer.GetAsync("/api/v1/alerts?status=firing");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        using var filtered = await viewer.GetAsync("/api/v1/alerts?status=burning");
        Assert.Equal(HttpStatusCode.BadRequest, filtered.StatusCode);
        Assert.Contains("query 'status' must be one of firing, resolved", await filtered.Content.ReadAsStringAsync());
    }

    private static object Notification(string fingerprint, string status, DateTimeOffset startsAt, DateTimeOffset? endsAt) => new Dictionary<string, object?>
    {
        ["version"] = "4",
        ["status"] = status,
        ["receiver"] = "platform-webhook",
        ["alerts"] = new[]
        {
            new Dictionary<string, object?>
            {
                ["status"] = status,
                ["fingerprint"] = fingerprint,
                ["labels"] = new Dictionary<string, string> { ["alertname"] = "DiskOnFire", ["severity"] = "warning", ["region"] = "eu-1" },
                ["annotations"] = new Dictionary<string, string> { ["summary"] = "disk on fire" },
                ["startsAt"] = startsAt,
                ["endsAt"] = endsAt ?? DateTimeOffset.MinValue,
            },
        },
    };

    private static IEnumerable<string> Names(JsonNode body) => body["alerts"]!.AsArray().Select(a => a!["name"]!.GetValue<string>());

    /// <returns>When the last of them had failed.</returns>
    private async Task<DateTime> FailTasksAsync(int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
            ids.Add(await Fleet.Http.SubmitTaskAsync(new
            {
                type = "ingestion", name = $"alert-{Guid.NewGuid():N}"[..24], script = "fail.csx", input = "in", output = "out",
                @params = new { message = "broken on purpose" },
            }));
        foreach (var id in ids) await Fleet.Http.WaitForTaskStatusAsync(id, TimeSpan.FromSeconds(90), "failed");
        return DateTime.UtcNow;
    }

    private async Task WaitForPrometheusAsync(string promql)
    {
        using var prometheus = new HttpClient { BaseAddress = alerting.Monitoring.PrometheusUrl };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var answer = JsonNode.Parse(await prometheus.GetStringAsync($"api/v1/query?query={Uri.EscapeDataString(promql)}"))!;
            if (answer["data"]!["result"]!.AsArray().Count > 0) return;
            await Task.Delay(1000);
        }
        throw new TimeoutException($"Prometheus never had {promql}");
    }

    private async Task<(string From, IReadOnlyList<string> To, string Message)> WaitForMailAsync(string containing)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var mail in alerting.Smtp.Messages)
                if (mail.Message.Contains(containing)) return mail;
            await Task.Delay(200);
        }
        throw new TimeoutException($"no mail about {containing}; {alerting.Smtp.Messages.Count} received");
    }

    private async Task<JsonArray> ListAsync(string? status)
    {
        var body = JsonNode.Parse(await Fleet.Http.GetStringAsync("/api/v1/alerts" + (status is null ? "" : $"?status={status}")))!;
        return body["alerts"]!.AsArray();
    }
}
