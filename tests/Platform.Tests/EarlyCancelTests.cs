using AiPlatform.Workers.Host;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// A worker hears a cancel on its own queue while the claim reply travels another way, so the cancel can arrive
/// before the task is registered as running there. It must still stop the task.
/// </summary>
public sealed class EarlyCancelTests
{
    [Fact]
    public void A_cancel_that_overtakes_the_claim_cancels_the_task_when_it_registers()
    {
        var running = new RunningTasks();
        var task = Guid.NewGuid();
        running.Cancel(task);
        var token = running.Register(task, CancellationToken.None);
        Assert.True(token.IsCancellationRequested);
    }

    [Fact]
    public void A_cancel_for_one_task_leaves_others_running_and_is_applied_once()
    {
        var running = new RunningTasks();
        var cancelled = Guid.NewGuid();
        var other = running.Register(Guid.NewGuid(), CancellationToken.None);
        running.Cancel(cancelled);
        Assert.False(other.IsCancellationRequested);

        var first = running.Register(cancelled, CancellationToken.None);
        Assert.True(first.IsCancellationRequested);
        running.Unregister(cancelled);
        // A later registration of the same id (a redelivered command the saga will refuse anyway) starts clean.
        Assert.False(running.Register(cancelled, CancellationToken.None).IsCancellationRequested);
    }

    [Fact]
    public void A_cancel_reaches_a_task_already_running()
    {
        var running = new RunningTasks();
        var task = Guid.NewGuid();
        var token = running.Register(task, CancellationToken.None);
        running.Cancel(task);
        Assert.True(token.IsCancellationRequested);
    }
}
