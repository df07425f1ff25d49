using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Gateway.Inference;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Gateway.Registry;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Messages;
using AiPlatform.Platform.Tests.Infrastructure;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>The calls the registry tests make: tasks run to completion, versions waited for, requests and their errors.</summary>
public abstract class RegistryTestBase
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    protected abstract PlatformFixture Platform { get; }

    protected async Task<Guid> RunTaskAsync(object body)
    {
        var id = await Platform.SubmitAsync(body);
        var task = await Platform.WaitForStatusAsync(id, Patience, "completed", "failed", "cancelled");
        Assert.True(task["status"]!.GetValue<string>() == "completed", task.ToJsonString());
        return id;
    }

    /// <summary>Registration follows a task's completion by a moment: wait until the versions are there.</summary>
    protected Task<JsonArray> WaitForVersionsAsync(string kind, string name, int count) =>
        WaitForAsync(async () =>
        {
            var response = await SendAsync(HttpMethod.Get, $"/api/v1/{kind}/{name}/versions", null);
            return response.Status == HttpStatusCode.OK && response.Body.AsArray().Count >= count ? response.Body.AsArray() : null;
        });

    protected static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found) return found;
            await Task.Delay(200);
        }
        Assert.Fail($"not there within {Patience.TotalSeconds} s");
        return null!;
    }

    protected async Task<IReadOnlyList<string>> StagesAsync(string model) =>
        (await GetAsync($"/api/v1/models/{model}/versions")).AsArray().Select(v => v!["stage"]!.GetValue<string>()).ToList();

    protected async Task<JsonNode> GetAsync(string path)
    {
        var response = await SendAsync(HttpMethod.Get, path, null);
        Assert.True(response.Status == HttpStatusCode.OK, $"GET {path} answered {(int)response.Status}: {response.Body.ToJsonString()}");
        return response.Body;
    }

    protected Task<(HttpStatusCode Status, JsonNode Body)> SubmitAsync(object body) => SendAsync(HttpMethod.Post, "/api/v1/tasks", body);

    protected async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await Platform.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!);
    }

    protected static void AssertError((HttpStatusCode Status, JsonNode Body) response, int status, string code, params string[] mentioned)
    {
        Assert.True((int)response.Status == status, $"expected {status} {code}, got {(int)response.Status}: {response.Body.ToJsonString()}");
        Assert.Equal(code, response.Body["error"]!["code"]!.GetValue<string>());
        foreach (var text in mentioned) Assert.Contains(text, response.Body["error"]!["message"]!.GetValue<string>());
    }

    /// <summary>The registry's services as the gateway wires them, on the fleet's database and lake, with the test's clock.</summary>
    protected ServiceProvider RegistryServices(TimeProvider clock)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        // Work done in these scopes is the default project's, as the fleet's requests without a project are.
        services.AddScoped(_ =>
        {
            var scope = new ProjectScope();
            scope.Enter(ProjectNames.Default);
            return scope;
        });
        services.AddPlatformDbContext(db => db.UseNpgsql(Platform.DatabaseConnectionString)
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)));
        services.AddProjects(new LakeOptions { Root = Platform.LakeRoot });
        services.AddSingleton(clock);
        services.AddSingleton(Options.Create(new RegistryOptions()));
        // Alias moves announce themselves on the bus; the tests that use these move none, so an in-memory bus that never starts will do.
        services.AddMassTransit(x => x.UsingInMemory());
        services.AddScoped<ModelAliasAnnouncer>();
        services.AddScoped<RegistryService>();
        services.AddScoped<RegistryLifecycle>();
        services.AddScoped<VersionUsage>();
        services.AddSingleton<RegistryRetention>();
        return services.BuildServiceProvider();
    }

    protected static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}
