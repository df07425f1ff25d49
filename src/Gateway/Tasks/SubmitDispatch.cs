using MassTransit;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Tasks;

/// <summary>
/// Sends a queued task's first attempt from the submit request itself, right after its row is committed: the saga
/// learns of the task from its worker's claim, so dispatch costs no hop through the saga and no transaction of its
/// own. The row is the outbox: when the broker cannot take the command now, the submit still succeeds and the task
/// monitor sends the command again once the broker is back and the task's queue shows it is not there.
/// </summary>
public sealed class SubmitDispatch(ISendEndpointProvider sender, IOptions<TaskOptions> options, ILogger<SubmitDispatch> logger)
{
    /// <summary>Marks a new task as dispatched in the row about to be inserted, so the insert and the dispatch record are one write.</summary>
    public static bool Prepare(TaskState task)
    {
        if (TaskCommands.QueueFor(task.Type) is null) return false;
        task.Attempts = 1;
        task.DispatchedAt = task.CreatedAt;
        return true;
    }

    public async Task SendAsync(TaskState task)
    {
        var limit = options.Value.SubmitSendTimeout;
        try
        {
            // Not the request's token: a client that hangs up after its task was stored must not leave it unsent.
            using var timeout = new CancellationTokenSource(limit);
            await TaskCommands.SendAsync(sender, task, timeout.Token).WaitAsync(limit);
        }
        catch (Exception e)
        {
            logger.LogWarning("Task {TaskId} stored but its command not sent ({Error}); the task monitor sends it when the broker is back",
                task.CorrelationId, e.Message);
        }
    }
}
