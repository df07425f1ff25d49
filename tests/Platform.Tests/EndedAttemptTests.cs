using AiPlatform.Workers.Host;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// A broker restart hands a worker back the commands of tasks it has already finished. It must know them without asking
/// the saga, whose answer cannot reach it until its reply queue is back, or they hold its slot while new tasks wait.
/// </summary>
public sealed class EndedAttemptTests
{
    [Fact]
    public void An_attempt_that_ended_here_is_known_and_a_later_attempt_of_the_same_task_is_not()
    {
        var running = new RunningTasks();
        var task = Guid.NewGuid();
        Assert.False(running.HasEnded(task, 1));

        running.Ended(task, 1);

        Assert.True(running.HasEnded(task, 1));
        // The monitor may send attempt 2 after judging attempt 1 lost: that one is new work and goes through the claim.
        Assert.False(running.HasEnded(task, 2));
        Assert.False(running.HasEnded(Guid.NewGuid(), 1));
    }
}
