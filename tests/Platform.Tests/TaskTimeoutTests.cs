using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>Every task ends: an attempt that outlives its time limit is stopped and the task fails, saying so.</summary>
[Collection(PlatformCollection.Name)]
public sealed class TaskTimeoutTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_task_past_its_time_limit_fails_as_timed_out()
    {
        var id = await platform.SubmitAsync(new
        {
            type = "training", name = $"slow-{Guid.NewGuid():N}"[..20], script = "sleep.csx", @params = new { seconds = 60 }, timeout_seconds = 2,
        });
        var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "failed", "completed", "cancelled");
        Assert.Equal("failed", done["status"]!.GetValue<string>());
        Assert.Equal("timed out after 2 s", done["error"]!.GetValue<string>());
        Assert.Equal(2, done["timeout_seconds"]!.GetValue<int>());
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_script_that_ignores_its_time_limit_is_stopped_hard()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = $"stubborn-{Guid.NewGuid():N}"[..20], script = "ignore_cancel.csx", timeout_seconds = 2 });
        var done = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "failed", "completed", "cancelled");
        Assert.Equal("failed", done["status"]!.GetValue<string>());
        Assert.Equal("timed out after 2 s", done["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tasks_get_their_type_s_default_limit_and_services_none()
    {
        var id = await platform.SubmitAsync(new { type = "ingestion", name = $"default-limit-{Guid.NewGuid():N}"[..24], script = "echo.csx" });
        Assert.Equal(2 * 3600, (await platform.GetTaskAsync(id))["timeout_seconds"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"type":"training","name":"t0","script":"echo.csx","timeout_seconds":0}""", "'timeout_seconds' must be a whole number")]
    [InlineData("""{"type":"training","name":"t1","script":"echo.csx","timeout_seconds":1.5}""", "'timeout_seconds' must be a whole number")]
    [InlineData("""{"type":"training","name":"t2","script":"echo.csx","timeout_seconds":"60"}""", "'timeout_seconds' must be a whole number")]
    [InlineData("""{"type":"inference","name":"t3","model":"m","timeout_seconds":60}""", "'timeout_seconds' does not apply to an inference service")]
    public async Task A_bad_time_limit_is_refused_naming_the_field(string body, string message)
    {
        using var response = await platform.PostRawAsync("/api/v1/tasks", body);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }
}
