using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using Microsoft.Playwright;
using Xunit;

namespace AiPlatform.Ui.Tests;

/// <summary>A fleet (gateway, one worker of each kind) and Debian's Chromium, headless, driven by Playwright.</summary>
public sealed class UiFixture : IAsyncLifetime
{
    public static readonly string Screenshots = Path.Combine(RepoPaths.Root, "artifacts", "ui-screenshots");

    private IPlaywright? _playwright;
    public LocalFleet Fleet { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);
        Fleet = await LocalFleet.StartAsync(new FleetOptions
        {
            Workers = ["Workers.Ingest", "Workers.Train", "Workers.Serve"],
            Settings = new Dictionary<string, string> { ["Worker__HeartbeatInterval"] = "00:00:01" },
        });
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            // Debian's Chromium, never a downloaded browser; flags as the machine notes advise for a closed network.
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>Opens the monitoring page in a new tab and signs in with the fleet's admin key, as a person would.</summary>
    public async Task<IPage> OpenAsync(int width = 1280, int height = 800)
    {
        var page = await OpenSignedOutAsync(width, height);
        await SignInAsync(page, Fleet.AdminKey);
        await page.WaitForSelectorAsync("#connection:text('live')");
        return page;
    }

    public async Task<IPage> OpenSignedOutAsync(int width = 1280, int height = 800)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        await page.GotoAsync(Fleet.GatewayUrl.ToString());
        return page;
    }

    public static async Task SignInAsync(IPage page, string key)
    {
        await page.WaitForSelectorAsync("#sign-in-form input[name=key]");
        await page.FillAsync("#sign-in-form input[name=key]", key);
        await page.ClickAsync("#sign-in-form button[type=submit]");
    }

    public async Task<Guid> SubmitAsync(object request)
    {
        using var response = await Fleet.Http.PostAsJsonAsync("/api/v1/tasks", request);
        var body = await response.Content.ReadFromJsonAsync<JsonNode>();
        Assert.True(response.IsSuccessStatusCode, body?.ToJsonString());
        return body!["id"]!.GetValue<Guid>();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        await Fleet.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class UiCollection : ICollectionFixture<UiFixture>
{
    public const string Name = "ui";
}
