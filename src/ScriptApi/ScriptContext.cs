using AiPlatform.Lake.Catalog;

namespace AiPlatform.ScriptApi;

/// <summary>What a running script may ask of the platform: who it is, cancellation, progress and logs.</summary>
public abstract class ScriptContext
{
    public abstract Guid TaskId { get; }
    public abstract string TaskName { get; }
    public abstract int Attempt { get; }
    public abstract string WorkerId { get; }

    /// <summary>Fires when the user cancels the task; a script that ignores it is stopped after a grace period.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <param name="fraction">0..1 of the whole task, or null when unknown.</param>
    /// <param name="metrics">Numbers to chart, e.g. <c>new { epoch = 3, loss = 0.41, accuracy = 0.86 }</c>.</param>
    public abstract void Progress(double? fraction, string? message = null, object? metrics = null);

    /// <summary>The data lake: open datasets and load models by reference, write datasets, save models with lineage.</summary>
    public abstract ScriptLake Lake { get; }

    /// <summary>
    /// This task's checkpoints, shared by all its attempts: save one at the end of each epoch, and load the latest at the
    /// start, so an attempt that follows a killed or released one resumes after the last saved epoch. They are removed
    /// when the task ends.
    /// </summary>
    public abstract TaskCheckpoints Checkpoint { get; }

    /// <summary>A folder or <c>s3://bucket/prefix</c> to read task inputs from, with this worker's S3 credentials.</summary>
    public abstract ScriptLocation OpenLocation(string uri);

    public abstract void Log(string message);

    public abstract void LogWarning(string message);
}
