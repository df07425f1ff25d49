using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit;

namespace AiPlatform.Ui.Tests;

/// <summary>The model and dataset page: versions with stage badges and aliases, a promote with a reason, its audit, the lineage graph.</summary>
[Collection(UiCollection.Name)]
public sealed class RegistryPageTests(UiFixture ui)
{
    private const float Timeout = 60_000;

    [Fact]
    public async Task A_dataset_version_is_promoted_from_its_page_and_the_audit_and_lineage_show_it()
    {
        var dataset = $"ui-ds-{Guid.NewGuid():N}"[..14];
        // Two ingestions write two versions; the registry registers each when its task completes.
        foreach (var rows in new[] { 10, 20 })
            await CompleteAsync(await ui.SubmitAsync(new { type = "ingestion", name = $"{dataset}-{rows}", script = "registry/write_dataset.csx",
                output = dataset, @params = new { rows } }));
        await WaitForVersionsAsync(dataset, 2);

        var page = await ui.OpenAsync();
        await page.ClickAsync($"#dataset-rows tr[data-name='{dataset}']", new PageClickOptions { Timeout = Timeout });
        await page.WaitForSelectorAsync("#version-rows tr[data-version='1.1.0']", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Equal(2, await page.Locator("#version-rows .stage.registered").CountAsync());

        // A reason with markup in it is shown as the text it is.
        await page.FillAsync("#resource-reason", "<b>fresher</b> rows");
        await page.ClickAsync("#version-rows tr[data-version='1.1.0'] [data-action='promote']");
        await page.WaitForSelectorAsync("#version-rows tr[data-version='1.1.0'] .stage.active", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Equal("production", await page.TextContentAsync("#version-rows tr[data-version='1.1.0'] .alias"));
        var moved = page.Locator("#audit-events li", new PageLocatorOptions { HasText = "alias_moved" });
        Assert.Contains("“<b>fresher</b> rows”", await moved.TextContentAsync());
        Assert.Equal(0, await page.Locator("#audit-events b:text('fresher')").CountAsync());
        await page.WaitForSelectorAsync($"#dataset-rows tr[data-name='{dataset}'] .alias:has-text('production → 1.1.0')",
            new PageWaitForSelectorOptions { Timeout = Timeout });

        // Lineage of the promoted version: the version (the root) and the task that wrote it, joined by an edge.
        await page.WaitForSelectorAsync($"#lineage g[data-node='dataset:{dataset}:1.1.0'] rect.root", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Equal(1, await page.Locator("#lineage rect.task").CountAsync());
        Assert.Equal(1, await page.Locator("#lineage path.edge").CountAsync());
        Assert.Contains("produced", await page.TextContentAsync("#lineage"));

        // The archive button calls the registry; whatever it answers is shown beside the reason.
        await page.ClickAsync("#version-rows tr[data-version='1.0.0'] [data-action='archive']");
        await page.WaitForSelectorAsync("#resource-result:has-text('archive 1.0.0')", new PageWaitForSelectorOptions { Timeout = Timeout });
        await page.Locator("#registry").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(UiFixture.Screenshots, "registry-page.png") });
    }

    private async Task CompleteAsync(Guid task)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(90); DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            var status = (await ui.Fleet.Http.GetFromJsonAsync<JsonNode>($"/api/v1/tasks/{task}"))!["status"]!.GetValue<string>();
            if (status == "completed") return;
            Assert.True(status is "pending" or "running", $"task {task} is {status}");
        }
        Assert.Fail($"task {task} did not complete within 90 s");
    }

    private async Task WaitForVersionsAsync(string dataset, int count)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            using var response = await ui.Fleet.Http.GetAsync($"/api/v1/datasets/{dataset}/versions");
            if (response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonArray>())!.Count >= count) return;
        }
        Assert.Fail($"{dataset} did not get {count} registered versions within 60 s");
    }
}
