using AiPlatform.Lake.Catalog;
using Xunit;

namespace AiPlatform.Lake.Tests;

/// <summary>A task's checkpoints: the newest whole one is what an attempt resumes from, and each task has its own.</summary>
public sealed class TaskCheckpointsTests
{
    private static Checkpoint At(int epoch) => new(epoch, new Dictionary<string, byte[]>
    {
        ["model"] = Enumerable.Range(0, 1000).Select(i => (byte)(i * epoch)).ToArray(), ["optimizer"] = [(byte)epoch],
    });

    [Fact]
    public async Task The_latest_checkpoint_comes_back_whole_and_only_the_newest_two_are_kept()
    {
        var store = Stores.Local();
        var checkpoints = new TaskCheckpoints(store, Guid.NewGuid());
        Assert.Null(await checkpoints.LoadLatestAsync());

        for (var epoch = 1; epoch <= 12; epoch++) await checkpoints.SaveAsync(At(epoch));

        var latest = await checkpoints.LoadLatestAsync();
        Assert.NotNull(latest);
        Assert.Equal(12, latest.Epoch);
        Assert.Equal(At(12).Parts["model"], latest.Parts["model"]);
        Assert.Equal(At(12).Parts["optimizer"], latest.Parts["optimizer"]);
        Assert.Equal(2, latest.Parts.Count);
        Assert.Equal(["epoch-00000011.ckpt", "epoch-00000012.ckpt"],
            (await store.ListAsync(TaskCheckpoints.PathOf(checkpoints.TaskId))).Select(o => Path.GetFileName(o.Path)).Order());
    }

    [Fact]
    public async Task A_damaged_latest_checkpoint_falls_back_to_the_one_before()
    {
        var store = Stores.Local();
        var task = Guid.NewGuid();
        var checkpoints = new TaskCheckpoints(store, task);
        await checkpoints.SaveAsync(At(3));
        await checkpoints.SaveAsync(At(4));
        await store.WriteAsync($"{TaskCheckpoints.PathOf(task)}/epoch-00000004.ckpt", new byte[] { 1, 2, 3 });

        Assert.Equal(3, (await checkpoints.LoadLatestAsync())!.Epoch);
    }

    [Fact]
    public async Task Tasks_do_not_see_each_others_checkpoints_and_removal_takes_only_the_tasks_own()
    {
        var store = Stores.Local();
        var (first, second) = (new TaskCheckpoints(store, Guid.NewGuid()), new TaskCheckpoints(store, Guid.NewGuid()));
        await first.SaveAsync(At(5));
        Assert.Null(await second.LoadLatestAsync());
        await second.SaveAsync(At(1));

        await first.DeleteAllAsync();

        Assert.Null(await first.LoadLatestAsync());
        Assert.Equal(1, (await second.LoadLatestAsync())!.Epoch);
    }

    [Fact]
    public async Task A_part_name_that_is_not_a_plain_name_is_refused()
    {
        var checkpoints = new TaskCheckpoints(Stores.Local(), Guid.NewGuid());
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            checkpoints.SaveAsync(new Checkpoint(1, new Dictionary<string, byte[]> { ["../model"] = [1] })));
        Assert.Contains("../model", error.Message);
    }
}
