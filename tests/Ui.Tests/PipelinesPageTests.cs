using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit;

namespace AiPlatform.Ui.Tests;

/// <summary>The pipelines view: a run's DAG drawn live with its steps coloured by state, the run history, and step -> task links.</summary>
[Collection(UiCollection.Name)]
public sealed class PipelinesPageTests(UiFixture ui)
{
    private const float Timeout = 90_000;

    [Fact]
    public async Task A_running_diamond_is_drawn_and_its_steps_change_colour_live_and_link_to_their_tasks()
    {
        var name = $"ui-dag-{Guid.NewGuid():N}"[..15];
        var created = await PostAsync("/api/v2/pipelines", new
        {
            name,
            steps = new object[]
            {
                new { name = "start", type = "ingestion", script = "echo.csx", @params = new { message = "go" } },
                new { name = "slow", type = "ingestion", script = "sleep.csx", depends_on = new[] { "start" }, @params = new { seconds = 4 } },
                new { name = "quick", type = "ingestion", script = "echo.csx", depends_on = new[] { "start" } },
                new { name = "join", type = "ingestion", script = "echo.csx", depends_on = new[] { "slow", "quick" } },
            },
        });
        var page = await ui.OpenAsync();
        await PostAsync($"/api/v2/pipelines/{created["id"]}/execute", new { });

        await page.ClickAsync("#reload-pipelines");
        await page.ClickAsync($"#pipeline-rows tr[data-name='{name}']", new PageClickOptions { Timeout = Timeout });
        // The graph: four steps in three columns, four edges.
        await page.WaitForSelectorAsync("#pipeline-dag g[data-step='join']", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Equal(4, await page.Locator("#pipeline-dag g[data-step]").CountAsync());
        Assert.Equal(4, await page.Locator("#pipeline-dag path.edge").CountAsync());
        Assert.Equal(1, await page.Locator("#pipeline-dag path[data-edge='slow->join']").CountAsync());

        // Live, with no reload: the slow step is seen running, then every step completed, each coloured by its state.
        await page.WaitForSelectorAsync("#pipeline-dag g[data-step='slow'] rect.running", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Equal(1, await page.Locator("#pipeline-dag g[data-step='join'] rect.waiting").CountAsync());
        await page.WaitForSelectorAsync("#pipeline-dag g[data-step='join'] rect.completed", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Equal(4, await page.Locator("#pipeline-dag rect.completed").CountAsync());
        var fill = await page.EvalOnSelectorAsync<string>("#pipeline-dag g[data-step='join'] rect", "r => getComputedStyle(r).fill");
        Assert.Equal("rgb(30, 77, 43)", fill);
        await page.WaitForSelectorAsync("#run-rows tr .status.completed", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Equal(1, await page.Locator("#run-rows tr").CountAsync());

        // A step links to its task.
        await page.ClickAsync("#pipeline-dag g[data-step='join'] a");
        await page.WaitForSelectorAsync("#detail:not(.hidden)", new PageWaitForSelectorOptions { Timeout = Timeout });
        Assert.Contains($"{name}.join.", await page.TextContentAsync("#detail-name"));
        await page.Locator("#pipelines").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(UiFixture.Screenshots, "pipelines-view.png") });
    }

    private async Task<JsonNode> PostAsync(string path, object body)
    {
        using var response = await ui.Fleet.Http.PostAsJsonAsync(path, body);
        var answer = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.True(response.IsSuccessStatusCode, answer.ToJsonString());
        return answer;
    }
}
