using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Gateway.Tasks;

/// <summary>The command that hands a task to its worker kind, built from the saga row so every retry sends the same work.</summary>
public static class TaskCommands
{
    /// <summary>The queue a task type's commands wait in; null for inference, whose command every serve worker hears.</summary>
    public static string? QueueFor(string type) => type switch
    {
        TaskTypes.Ingestion => QueueNames.Ingest,
        TaskTypes.Training => QueueNames.Train,
        _ => null,
    };

    /// <summary>
    /// Sends the task's current attempt straight to its kind's durable priority queue, with the task's priority as the
    /// message's. The send goes to the queue's exchange and declares nothing: the queue, its priority argument and its
    /// binding are set up by <see cref="AiPlatform.ServiceDefaults.TaskQueues.TaskQueueSetup"/> when the gateway starts
    /// (a send that declared the queue itself would have to repeat its arguments, and MassTransit's send addresses
    /// carry none). So a command for a kind with no worker yet waits in the queue for one.
    /// </summary>
    public static async Task SendAsync(ISendEndpointProvider sender, TaskState task, CancellationToken ct = default)
    {
        var queue = QueueFor(task.Type) ?? throw new InvalidOperationException($"{task.Type} commands are published, not sent to a queue");
        var command = For(task);
        var endpoint = await sender.GetSendEndpoint(new Uri($"exchange:{queue}"));
        var priority = (byte)Math.Clamp(task.Priority, TaskPriorities.Default, TaskPriorities.Max);
        await endpoint.Send(command, command.GetType(), Pipe.Execute<SendContext>(context => context.SetPriority(priority)), ct);
    }

    public static object For(TaskState task)
    {
        var script = new TaskScript(task.ScriptPath, task.ScriptSha256, task.ScriptSource);
        // Scripts get the version pinned at submit, so a retry reads what the first attempt read.
        var input = task.ResolvedInput ?? task.Input;
        return task.Type switch
        {
            TaskTypes.Ingestion => new RunIngestion(task.CorrelationId, task.Name, task.Attempts, script, input, task.Output, task.ParamsJson,
                task.TimeoutSeconds, task.DeclaredResources(), task.SubmittedBy, task.Project),
            TaskTypes.Training => new RunTraining(task.CorrelationId, task.Name, task.Attempts, script, input, task.Output, task.ParamsJson,
                task.TimeoutSeconds, task.DeclaredResources(), task.ResolvedModel ?? task.Model, task.SubmittedBy, task.Project),
            TaskTypes.Inference => new StartInferenceService(task.CorrelationId, task.Name, task.Attempts, script, input, task.Output,
                task.ParamsJson, task.ResolvedModel ?? task.Model!, task.Device ?? "cpu", FollowedAlias(task), task.Project),
            _ => throw new InvalidOperationException($"unknown task type '{task.Type}'"),
        };
    }

    /// <summary>
    /// The alias an inference service follows: its model named an alias and its serving script reads the model as its
    /// input (the default), so a replica can serve another version by running the script on it.
    /// </summary>
    private static string? FollowedAlias(TaskState task)
    {
        if (task.Model is null || task.ResolvedModel is null || task.ResolvedInput != task.ResolvedModel) return null;
        try
        {
            var reference = AiPlatform.Lake.Catalog.LakeReference.Parse(task.Model);
            return reference.Kind == AiPlatform.Lake.Catalog.ReferenceKind.Alias ? $"{reference.Name}@{reference.Alias}" : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
