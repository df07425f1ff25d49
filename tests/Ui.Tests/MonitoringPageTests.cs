using System.Net.Http.Json;
using System.Diagnostics;
using AiPlatform.Fleet;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using Microsoft.Playwright;
using Xunit;

namespace AiPlatform.Ui.Tests;

[Collection(UiCollection.Name)]
public sealed class MonitoringPageTests(UiFixture ui)
{
    private const float Timeout = 60_000;

    [Fact]
    public async Task A_task_submitted_from_the_page_shows_progress_and_completes()
    {
        var page = await ui.OpenAsync();
        var name = $"ui-{Guid.NewGuid():N}"[..16];
        await page.ClickAsync("#show-submit");
        await page.SelectOptionAsync("#submit-form select[name=type]", "ingestion");
        await page.FillAsync("#submit-form input[name=name]", name);
        await page.FillAsync("#submit-form input[name=script]", "sleep.csx");
        await page.FillAsync("#submit-form textarea[name=params]", """{"seconds": 4}""");
        var clock = Stopwatch.StartNew();
        await page.ClickAsync("#submit-form button[type=submit]");
        var row = page.Locator($"tr[data-name='{name}']");
        await row.WaitForAsync(new LocatorWaitForOptions { Timeout = Timeout });
        var shownAfter = clock.Elapsed;
        await File.WriteAllTextAsync(Path.Combine(UiFixture.Screenshots, "new-task-latency.txt"),
            $"a task submitted from the page appeared in the task table {shownAfter.TotalMilliseconds:0} ms after the click\n");

        await page.WaitForSelectorAsync($"tr[data-name='{name}'][data-status='running']", new PageWaitForSelectorOptions { Timeout = Timeout });
        await page.WaitForFunctionAsync($"() => parseFloat(document.querySelector(\"tr[data-name='{name}'] .bar > span\")?.style.width) > 0",
            null, new PageWaitForFunctionOptions { Timeout = Timeout });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(UiFixture.Screenshots, "task-running.png"), FullPage = true });
        await page.WaitForSelectorAsync($"tr[data-name='{name}'][data-status='completed']", new PageWaitForSelectorOptions { Timeout = Timeout });

        await row.ClickAsync();
        await page.WaitForSelectorAsync("#detail-events li:has-text('completed')", new PageWaitForSelectorOptions { Timeout = Timeout });
        // The page signed in with the fleet's bootstrap key, so the task is attributed to it.
        Assert.Contains("\"submitted_by\": \"bootstrap\"", await page.TextContentAsync("#detail-overview"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(UiFixture.Screenshots, "task-detail.png"), FullPage = true });
    }

    [Fact]
    public async Task The_page_asks_for_a_key_refuses_a_wrong_one_and_never_puts_the_key_in_a_URL()
    {
        var page = await ui.OpenSignedOutAsync();
        var urls = new List<string>();
        page.Request += (_, request) => { lock (urls) urls.Add(request.Url); };
        await page.WaitForSelectorAsync("#sign-in:visible");
        Assert.Equal("", await page.TextContentAsync("#task-rows"));

        await UiFixture.SignInAsync(page, "aip_not-a-key-of-this-gateway-0000000000000000");
        await page.WaitForSelectorAsync("#sign-in-error:has-text('unknown or revoked')");

        var viewerKey = await ui.Fleet.CreateKeyAsync($"ui-viewer-{Guid.NewGuid():N}"[..20], "viewer");
        await UiFixture.SignInAsync(page, viewerKey);
        await page.WaitForSelectorAsync("#connection:text('live')", new PageWaitForSelectorOptions { Timeout = Timeout });
        await page.WaitForSelectorAsync("#signed-in:has-text('viewer')");
        Assert.True(await page.IsHiddenAsync("#sign-in"));
        Assert.Equal(viewerKey, await page.EvaluateAsync<string>("() => sessionStorage.getItem('aip-api-key')"));
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('aip-api-key')"));
        lock (urls)
        {
            Assert.Contains(urls, url => url.Contains("/api/v1/stream?ticket="));
            Assert.DoesNotContain(urls, url => url.Contains(viewerKey));
        }
    }

    [Fact]
    public async Task An_alert_alertmanager_reports_shows_as_firing_and_then_as_resolved_without_a_reload()
    {
        var page = await ui.OpenAsync();
        var name = $"UiAlert{Guid.NewGuid():N}"[..16];
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(-2);
        await PostAlertAsync(name, "firing", startsAt, null);
        var row = $"tr[data-alert='{name}']";
        await page.WaitForSelectorAsync($"{row}.alert-firing:has-text('queue=train-tasks')", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Contains("firing", await page.TextContentAsync("#alerts-firing"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(UiFixture.Screenshots, "alert-firing.png"), FullPage = true });

        await PostAlertAsync(name, "resolved", startsAt, DateTimeOffset.UtcNow);
        await page.WaitForSelectorAsync($"{row}.alert-resolved:has-text('ended')", new PageWaitForSelectorOptions { Timeout = Timeout });
    }

    /// <summary>Sends what Alertmanager would send the gateway's receiver for one alert.</summary>
    private async Task PostAlertAsync(string name, string status, DateTimeOffset startsAt, DateTimeOffset? endsAt)
    {
        using var response = await ui.Fleet.Http.PostAsJsonAsync("/api/v1/alerts", new Dictionary<string, object?>
        {
            ["version"] = "4",
            ["status"] = status,
            ["alerts"] = new[]
            {
                new Dictionary<string, object?>
                {
                    ["status"] = status, ["fingerprint"] = name.ToLowerInvariant(),
                    ["labels"] = new Dictionary<string, string> { ["alertname"] = name, ["severity"] = "warning", ["queue"] = "train-tasks" },
                    ["annotations"] = new Dictionary<string, string> { ["summary"] = "Queue train-tasks has more than 100 ready messages" },
                    ["startsAt"] = startsAt, ["endsAt"] = endsAt ?? DateTimeOffset.MinValue,
                },
            },
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_running_task_is_cancelled_from_the_page()
    {
        var page = await ui.OpenAsync();
        var name = $"ui-cancel-{Guid.NewGuid():N}"[..20];
        await ui.SubmitAsync(new { type = "ingestion", name, script = "sleep.csx", @params = new { seconds = 120 } });
        await page.WaitForSelectorAsync($"tr[data-name='{name}'][data-status='running']", new PageWaitForSelectorOptions { Timeout = Timeout });
        await page.ClickAsync($"tr[data-name='{name}'] button.cancel");
        await page.WaitForSelectorAsync($"tr[data-name='{name}'][data-status='cancelled']", new PageWaitForSelectorOptions { Timeout = Timeout });
    }

    [Fact]
    public async Task Queue_depth_rises_while_tasks_pile_up()
    {
        var page = await ui.OpenAsync();
        await page.WaitForSelectorAsync("tr[data-queue='ingest-tasks']", new PageWaitForSelectorOptions { Timeout = Timeout });
        for (var i = 0; i < 5; i++)
            await ui.SubmitAsync(new { type = "ingestion", name = $"pile-{i}-{Guid.NewGuid():N}"[..20], script = "sleep.csx", @params = new { seconds = 3 } });
        await page.WaitForFunctionAsync("() => parseInt(document.querySelector(\"tr[data-queue='ingest-tasks'] .ready\")?.textContent) >= 2",
            null, new PageWaitForFunctionOptions { Timeout = Timeout });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(UiFixture.Screenshots, "queues-piling-up.png"), FullPage = true });
        await page.WaitForFunctionAsync("() => parseInt(document.querySelector(\"tr[data-queue='ingest-tasks'] .ready\")?.textContent) === 0",
            null, new PageWaitForFunctionOptions { Timeout = 120_000 });
    }

    [Fact]
    public async Task A_drawn_image_gets_a_prediction_with_probabilities()
    {
        using (var model = new ReferenceCnn())
            await new LakeCatalog(new LakeOptions { Root = ui.Fleet.LakeRoot }).Models.SaveAsync("ui-cnn", new ModelArtifact(
                ReferenceCnn.Architecture, model.save_state_dict(), new() { ["test_accuracy"] = 0.1 }, [], []));
        var service = await ui.SubmitAsync(new { type = "inference", name = "ui-service", model = "ui-cnn" });

        var page = await ui.OpenAsync();
        await page.WaitForSelectorAsync($"#service option[value='{service}']", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached, Timeout = Timeout });
        await page.SelectOptionAsync("#service", service.ToString());
        await page.Locator("#canvas").ScrollIntoViewIfNeededAsync();
        var box = (await page.Locator("#canvas").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width * 0.5f, box.Y + box.Height * 0.2f);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + box.Width * 0.5f, box.Y + box.Height * 0.8f, new MouseMoveOptions { Steps = 12 });
        await page.Mouse.UpAsync();
        var inked = await page.EvaluateAsync<int>(
            "() => { const c = document.getElementById('canvas'); return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((v, i) => i % 4 === 0 && v > 128).length; }");
        Assert.True(inked > 100, $"the stroke left {inked} white pixels");
        await page.ClickAsync("#predict");
        await page.WaitForSelectorAsync("#prediction:has-text('prediction:')", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Equal(10, await page.Locator("#probabilities rect").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(UiFixture.Screenshots, "playground.png"), FullPage = true });

        var narrow = await ui.OpenAsync(width: 420, height: 900);
        await narrow.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(UiFixture.Screenshots, "narrow-window.png"), FullPage = true });
    }

    [Fact]
    public async Task A_text_service_gets_a_prompt_box_and_the_page_shows_the_continuation()
    {
        var (dataset, model) = ($"ui-text-{Guid.NewGuid():N}"[..16], $"ui-lm-{Guid.NewGuid():N}"[..14]);
        var ingest = await ui.SubmitAsync(new { type = "ingestion", name = dataset, script = "text/ingest.csx", input = "/usr/share/games/fortunes",
            output = dataset, @params = new { files = "goedel" } });
        await ui.Fleet.Http.WaitForTaskStatusAsync(ingest, TimeSpan.FromMinutes(2), "completed");
        var train = await ui.SubmitAsync(new { type = "training", name = model, script = "text/train.csx", input = dataset, output = model,
            @params = new { epochs = 1, steps_per_epoch = 5, context = 16, width = 16, layers = 1, heads = 2, eval_windows = 2, sample_bytes = 1 } });
        await ui.Fleet.Http.WaitForTaskStatusAsync(train, TimeSpan.FromMinutes(2), "completed");
        var service = await ui.SubmitAsync(new { type = "inference", name = "ui-text-service", script = "text/serve.csx", model });

        var page = await ui.OpenAsync();
        await page.WaitForSelectorAsync($"#service option[value='{service}']", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached, Timeout = Timeout });
        await page.SelectOptionAsync("#service", service.ToString());
        Assert.True(await page.Locator("#canvas").IsHiddenAsync(), "the drawing area is shown for a text service");
        await page.FillAsync("#prompt", "Gödel ");
        await page.FillAsync("#max-tokens", "30");
        await page.ClickAsync("#generate");
        await page.WaitForFunctionAsync("() => document.getElementById('generated').textContent.startsWith('Gödel ')",
            null, new PageWaitForFunctionOptions { Timeout = Timeout });
        Assert.Equal("Gödel ", await page.Locator("#generated b").TextContentAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(UiFixture.Screenshots, "playground-text.png"), FullPage = true });

        // A bad request shows the service's error, not a stale answer.
        await page.FillAsync("#max-tokens", "0");
        await page.ClickAsync("#generate");
        await page.WaitForSelectorAsync("#generated:has-text(\"INVALID_REQUEST: 'max_tokens' must be from 1 to 2000\")", new PageWaitForSelectorOptions { Timeout = Timeout });
    }
}
