using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.ObjectStore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AiPlatform.Workers.Host;

/// <summary>
/// Removes a task's checkpoints once its attempt has ended for good (completed, failed or cancelled, and said so): no
/// later attempt will resume from them. A released attempt keeps them for the one that follows.
/// </summary>
public sealed class CheckpointCleanup(IConfiguration configuration, ILogger<CheckpointCleanup> logger)
{
    private readonly Lazy<IObjectStore> _lake = new(() => ObjectStores.Open(WorkerHostExtensions.LakeOptionsFrom(configuration)));

    public async Task RemoveAsync(Guid taskId)
    {
        try
        {
            await new TaskCheckpoints(_lake.Value, taskId).DeleteAllAsync();
        }
        catch (Exception e)
        {
            // The task's outcome is already out; a leftover costs space, not correctness.
            logger.LogWarning("Checkpoints of task {TaskId} not removed: {Error}", taskId, e.Message);
        }
    }
}
