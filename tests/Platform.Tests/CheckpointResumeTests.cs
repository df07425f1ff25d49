using AiPlatform.Fleet;
using AiPlatform.Lake.Catalog;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// A training whose worker is killed does not start over: its next attempt resumes after the last epoch it saved, and
/// ends where an uninterrupted run ends. The checkpoints go once the task has ended.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class CheckpointResumeTests(PlatformFixture platform)
{
    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task A_killed_training_resumes_after_its_last_checkpoint_and_ends_like_an_uninterrupted_run()
    {
        var parameters = new { epochs = 6, seconds = 1.0 };
        var id = await platform.SubmitAsync(new { type = "training", name = UniqueName("resume"), script = "checkpointed.csx", @params = parameters });
        var saved = await platform.Http.WaitForTaskAsync(id, TimeSpan.FromSeconds(60),
            t => t["progress"]?["metrics"]?["epoch"]?.GetValue<int>() >= 2, "two epochs saved");
        Assert.True(Directory.Exists(Path.Combine(platform.LakeRoot, TaskCheckpoints.PathOf(id))), "no checkpoint in the lake after two epochs");
        var victim = saved["worker_id"]!.GetValue<string>();
        System.Diagnostics.Process.GetProcessById(int.Parse(victim.Split('-')[^2])).Kill();
        platform.StartWorker("Workers.Train");
        var resumed = await platform.WaitForStatusAsync(id, PlatformFixture.HeartbeatTimeout + TimeSpan.FromSeconds(90), "completed", "failed");

        var uninterrupted = await platform.SubmitAsync(new { type = "training", name = UniqueName("straight"), script = "checkpointed.csx", @params = parameters });
        var straight = await platform.WaitForStatusAsync(uninterrupted, TimeSpan.FromSeconds(90), "completed", "failed");

        Assert.Equal("completed", resumed["status"]!.GetValue<string>());
        Assert.Equal(2, resumed["attempts"]!.GetValue<int>());
        var result = resumed["result"]!;
        var resumedAfter = result["resumed_after"]!.GetValue<int>();
        Assert.InRange(resumedAfter, 2, 5);
        // The finished epochs are not repeated: the second attempt ran exactly the ones after the checkpoint.
        Assert.Equal(Enumerable.Range(resumedAfter + 1, 6 - resumedAfter), result["ran"]!.AsArray().Select(e => e!.GetValue<int>()));
        Assert.Equal(0, straight["result"]!["resumed_after"]!.GetValue<int>());
        var (resumedLoss, straightLoss) = (result["loss"]!.GetValue<double>(), straight["result"]!["loss"]!.GetValue<double>());
        Assert.True(Math.Abs(resumedLoss - straightLoss) <= 1e-6 * Math.Max(1, straightLoss),
            $"resumed run ended at loss {resumedLoss}, an uninterrupted one at {straightLoss}");

        Assert.Equal(straight["result"]!["draw"]!.GetValue<double>(), result["draw"]!.GetValue<double>());

        foreach (var task in new[] { id, uninterrupted })
            Assert.False(Directory.Exists(Path.Combine(platform.LakeRoot, TaskCheckpoints.PathOf(task))), $"checkpoints of task {task} were left behind");
    }
}
