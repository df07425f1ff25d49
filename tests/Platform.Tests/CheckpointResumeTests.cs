using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
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
        Assert.True(HasCheckpoints(id), "no checkpoint in the lake after two epochs");
        var victim = saved["worker_id"]!.GetValue<string>();
        System.Diagnostics.Process.GetProcessById(WorkerIds.ProcessIdOf(victim)).Kill();
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
            await WaitUntilAsync(() => !HasCheckpoints(task), $"the checkpoints of task {task} to be removed");
    }

    [Theory]
    [InlineData("mnist/train.csx")]
    [InlineData("mnist-torchsharp/train.csx")]
    public async Task The_MNIST_training_killed_mid_run_resumes_from_its_checkpoint_and_reaches_the_uninterrupted_accuracy(string script)
    {
        var dataset = UniqueName("resume-mnist");
        var ingest = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("resume-ingest"), script = "mnist/ingest.csx",
            input = "/usr/share/datasets/fashion-mnist", output = dataset, @params = new { max_per_split = 3000 } });
        Assert.Equal("completed", (await platform.WaitForStatusAsync(ingest, TimeSpan.FromMinutes(3), "completed", "failed"))["status"]!.GetValue<string>());

        var (resumed, straight) = await KillMidRunAndRunAgainAsync(script, dataset, new { epochs = 5, batch_size = 64, learning_rate = 0.001, seed = 1 }, 5);
        var (resumedAccuracy, straightAccuracy) = (resumed["result"]!["test_accuracy"]!.GetValue<double>(), straight["result"]!["test_accuracy"]!.GetValue<double>());
        Assert.True(Math.Abs(resumedAccuracy - straightAccuracy) <= 0.02,
            $"resumed training reached test accuracy {resumedAccuracy}, an uninterrupted one {straightAccuracy}");
    }

    [Fact]
    public async Task The_language_model_training_killed_mid_run_resumes_its_schedule_and_ends_at_the_uninterrupted_loss()
    {
        var dataset = UniqueName("resume-text");
        var ingest = await platform.SubmitAsync(new { type = "ingestion", name = UniqueName("resume-ingest"), script = "text/ingest.csx",
            input = "/usr/share/games/fortunes", output = dataset, @params = new { files = "goedel,debian" } });
        Assert.Equal("completed", (await platform.WaitForStatusAsync(ingest, TimeSpan.FromMinutes(3), "completed", "failed"))["status"]!.GetValue<string>());

        var (resumed, straight) = await KillMidRunAndRunAgainAsync("text/train.csx", dataset,
            new { epochs = 4, steps_per_epoch = 150, learning_rate = 0.003, context = 32, width = 32, layers = 1, heads = 2, sample_bytes = 1 }, 4);
        // Same windows, dropout draws, learning rates and optimizer moments after the resume as without it.
        var (resumedLoss, straightLoss) = (resumed["result"]!["test_loss"]!.GetValue<double>(), straight["result"]!["test_loss"]!.GetValue<double>());
        Assert.True(Math.Abs(resumedLoss - straightLoss) <= 0.01 * straightLoss,
            $"resumed training ended at test loss {resumedLoss}, an uninterrupted one at {straightLoss}");
    }

    /// <summary>
    /// Trains with <paramref name="script"/> and kills its worker once an epoch is saved, then trains again without a
    /// kill. The killed task completes in a second attempt that starts after the last epoch the first saved and
    /// repeats none.
    /// </summary>
    private async Task<(JsonNode Resumed, JsonNode Straight)> KillMidRunAndRunAgainAsync(string script, string dataset, object parameters, int epochs)
    {
        var killed = await platform.SubmitAsync(new { type = "training", name = UniqueName("resume-train"), script, input = dataset,
            output = UniqueName("resume-model"), @params = parameters });
        var saved = await platform.Http.WaitForTaskAsync(killed, TimeSpan.FromMinutes(3),
            t => t["progress"]?["metrics"]?["epoch"]?.GetValue<int>() >= 1, "one epoch saved");
        System.Diagnostics.Process.GetProcessById(WorkerIds.ProcessIdOf(saved["worker_id"]!.GetValue<string>())).Kill();
        platform.StartWorker("Workers.Train");
        var resumed = await platform.WaitForStatusAsync(killed, PlatformFixture.HeartbeatTimeout + TimeSpan.FromMinutes(3), "completed", "failed");

        var uninterrupted = await platform.SubmitAsync(new { type = "training", name = UniqueName("straight-train"), script,
            input = dataset, output = UniqueName("straight-model"), @params = parameters });
        var straight = await platform.WaitForStatusAsync(uninterrupted, TimeSpan.FromMinutes(3), "completed", "failed");

        Assert.True(resumed["status"]!.GetValue<string>() == "completed", resumed.ToJsonString());
        Assert.True(straight["status"]!.GetValue<string>() == "completed", straight.ToJsonString());
        Assert.Equal(2, resumed["attempts"]!.GetValue<int>());
        var epochsByAttempt = (await platform.GetEventsAsync(killed)).Where(e => e!["kind"]!.GetValue<string>() == "progressed")
            .Select(e => (Attempt: e!["attempt"]!.GetValue<int>(), Epoch: e["data"]!["metrics"]?["epoch"]?.GetValue<int>()))
            .Where(e => e.Epoch is not null).GroupBy(e => e.Attempt).ToDictionary(g => g.Key, g => g.Select(e => e.Epoch!.Value).ToList());
        // Attempt 2 starts after the last epoch attempt 1 saved (at most one past the last it reported) and repeats none.
        var lastReported = epochsByAttempt[1].Max();
        Assert.InRange(epochsByAttempt[2][0], lastReported + 1, lastReported + 2);
        Assert.Equal(Enumerable.Range(epochsByAttempt[2][0], epochs - epochsByAttempt[2][0] + 1), epochsByAttempt[2]);
        return (resumed, straight);
    }

    [Fact]
    public async Task The_checkpoints_of_a_task_that_ended_without_its_worker_are_swept_and_a_running_tasks_are_kept_until_it_ends()
    {
        var ended = await platform.SubmitAsync(new { type = "training", name = UniqueName("ended"), script = "fail.csx" });
        await platform.WaitForStatusAsync(ended, TimeSpan.FromSeconds(60), "failed");
        var running = await platform.SubmitAsync(new { type = "training", name = UniqueName("running"), script = "sleep.csx", @params = new { seconds = 30 } });
        await platform.WaitForStatusAsync(running, TimeSpan.FromSeconds(60), "running");
        // What a worker that saved and then died leaves behind, and what a running task has saved so far.
        var lake = new LocalObjectStore(platform.LakeRoot);
        foreach (var task in new[] { ended, running })
            await new TaskCheckpoints(lake, task).SaveAsync(new Checkpoint(1, new Dictionary<string, byte[]> { ["model"] = [1, 2, 3] }));

        await WaitUntilAsync(() => !HasCheckpoints(ended), "the ended task's checkpoints to be swept");
        Assert.True(HasCheckpoints(running), "a running task's checkpoints were swept");

        using (var cancel = await platform.Http.PostAsync($"/api/v1/tasks/{running}/cancel", null)) cancel.EnsureSuccessStatusCode();
        await platform.WaitForStatusAsync(running, TimeSpan.FromSeconds(60), "cancelled");
        await WaitUntilAsync(() => !HasCheckpoints(running), "the cancelled task's checkpoints to be removed");
    }

    private bool HasCheckpoints(Guid task) => Directory.Exists(Path.Combine(platform.LakeRoot, TaskCheckpoints.PathOf(task)));

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited 30 s for {what}");
            await Task.Delay(200);
        }
    }
}
