using System.Collections.Concurrent;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Messages;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AiPlatform.Workers.Host;

/// <summary>
/// Removes a task's checkpoints once its attempt has ended for good (completed, failed or cancelled, and said so): no
/// later attempt will resume from them. A released attempt keeps them for the one that follows.
/// </summary>
public sealed class CheckpointCleanup(IConfiguration configuration, ILogger<CheckpointCleanup> logger)
{
    private readonly ConcurrentDictionary<string, IObjectStore> _lakes = new();

    /// <summary>Removes them from the lake of the task's project, where its script kept them.</summary>
    public async Task RemoveAsync(Guid taskId, string project)
    {
        try
        {
            var lake = _lakes.GetOrAdd(project, p =>
            {
                var options = WorkerHostExtensions.LakeOptionsFrom(configuration);
                return ObjectStores.Open(options with { Root = ProjectNames.LakeRootOf(options.Root, p) });
            });
            await new TaskCheckpoints(lake, taskId).DeleteAllAsync();
        }
        catch (Exception e)
        {
            // The task's outcome is already out; a leftover costs space, not correctness.
            logger.LogWarning("Checkpoints of task {TaskId} not removed: {Error}", taskId, e.Message);
        }
    }
}
