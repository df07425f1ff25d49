using System.Net;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Registry;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Messages;
using AiPlatform.Platform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// The retention job on a fake clock: the fleet's gateway makes the versions, reads and deletes; the job itself runs
/// in the test, on the fleet's database and lake, with time moved forward by hand.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class RegistryRetentionTests(PlatformFixture platform) : RegistryTestBase
{
    protected override PlatformFixture Platform => platform;

    [Fact]
    public async Task Retention_archives_idle_versions_purges_expired_deletes_and_removes_old_orphans_on_a_fake_clock()
    {
        var (dataset, model) = (Unique("ret-ds"), Unique("ret-m"));
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        foreach (var _ in Enumerable.Range(0, 5))
            await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model });
        await WaitForVersionsAsync("models", model, 5);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var start = clock.GetUtcNow();

        // 1.1.0 is production; 1.2.0 is read (a submit pins it); 1.3.0 is soft-deleted; 1.4.0 is the newest.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.1.0" })).Status);
        var reader = await platform.SubmitAsync(new { type = "inference", name = Unique("svc"), model = $"{model}:1.2.0", script = "echo.csx" });
        await platform.WaitForStatusAsync(reader, Patience, "completed", "failed", "cancelled");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Delete, $"/api/v1/models/{model}/versions/1.3.0", null)).Status);
        var policy = await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/retention", new { archive_after_days = 10, reason = "cost" });
        Assert.Equal((10, false), (policy.Body["archive_after_days"]!.GetValue<int>(), policy.Body["archive_after_days_is_default"]!.GetValue<bool>()));
        AssertError(await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/retention", new { keep_last = 0 }), 400, "INVALID_REQUEST", "keep_last");

        // A leftover of a crashed writer: a data file no manifest names.
        var orphan = Path.Combine(platform.LakeRoot, "models", $"{model}.lance", "data", "crashed-writer.lance");
        await File.WriteAllBytesAsync(orphan, [1, 2, 3]);

        await using var services = RegistryServices(clock);
        var retention = services.GetRequiredService<RegistryRetention>();
        await using (var scope = services.CreateAsyncScope())
        {
            // The read is tracked: as a moment ago, so 1.2.0 reads as 3 days idle when the clock says 11 days later.
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            var read = await db.RegistryVersions.Where(v => v.SemanticVersion == "1.2.0" && db.RegistryResources.Any(r => r.Id == v.ResourceId && r.Name == model))
                .Select(v => v.LastReadAt).SingleAsync();
            Assert.NotNull(read);
            Assert.InRange(read!.Value, start - TimeSpan.FromMinutes(5), start + TimeSpan.FromMinutes(5));
        }

        // Now: nothing is old enough, the orphan is too young to be told from a write in flight.
        var now = await retention.RunAsync(ProjectNames.Default, EntryKind.Model, model, default);
        Assert.Equal((0, 0, 0), (now.Purged.Count, now.Archived.Count, now.OrphansRemoved.Count));
        Assert.True(File.Exists(orphan));

        // 8 days on, 1.2.0 is read again (recorded as a submit then would); 11 days on: 1.0.0 (never read) is archived, 1.3.0's soft delete expired.
        clock.Now = start + TimeSpan.FromDays(8);
        await MarkReadAsync(services, model, "1.2.0", clock.Now);
        clock.Now = start + TimeSpan.FromDays(11);
        var later = await retention.RunAsync(ProjectNames.Default, EntryKind.Model, model, default);
        Assert.Equal(["1.3.0"], later.Purged);
        Assert.Equal(["1.0.0"], later.Archived);
        Assert.Single(later.OrphansRemoved);
        Assert.False(File.Exists(orphan));
        var stages = (await GetAsync($"/api/v1/models/{model}/versions")).AsArray()
            .ToDictionary(v => v!["version"]!.GetValue<string>(), v => v!["stage"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { ["1.0.0"] = "archived", ["1.1.0"] = "active", ["1.2.0"] = "registered", ["1.4.0"] = "registered" }, stages);

        // keep_last 1: everything but the newest and the aliased goes, read or not.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/retention", new { keep_last = 1, archive_after_days = 10 })).Status);
        Assert.Equal(["1.2.0"], (await retention.RunAsync(ProjectNames.Default, EntryKind.Model, model, default)).Archived);

        var audit = (await GetAsync($"/api/v1/models/{model}/audit")).AsArray();
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "purged" && a["actor"]!.GetValue<string>() == "retention");
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "archived" && a["reason"]!.GetValue<string>() == "not read for 10 day(s)");
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "retention_set" && a["reason"]!.GetValue<string>() == "cost");
    }

    private static async Task MarkReadAsync(IServiceProvider services, string model, string version, DateTimeOffset at)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        await db.RegistryVersions.Where(v => v.SemanticVersion == version && db.RegistryResources.Any(r => r.Id == v.ResourceId && r.Name == model))
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.LastReadAt, at));
    }

    [Fact]
    public async Task A_version_a_script_opens_by_name_counts_as_read_for_retention()
    {
        var (dataset, parent, child) = (Unique("read-ds"), Unique("read-p"), Unique("read-c"));
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = parent });
        await WaitForVersionsAsync("models", parent, 1);
        Assert.Null(await LastReadAsync(parent));

        // The parent is no reference of the task (it is in the params): only the script's own lake report shows it was read.
        await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = child,
            @params = new { parent } });
        await WaitForVersionsAsync("models", child, 1);
        var read = await LastReadAsync(parent);
        Assert.NotNull(read);
        Assert.InRange(read!.Value, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1));
    }

    private async Task<DateTimeOffset?> LastReadAsync(string model)
    {
        await using var services = RegistryServices(TimeProvider.System);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        return await db.RegistryVersions.Where(v => db.RegistryResources.Any(r => r.Id == v.ResourceId && r.Name == model && r.Kind == "model"))
            .Select(v => v.LastReadAt).SingleAsync();
    }
}
