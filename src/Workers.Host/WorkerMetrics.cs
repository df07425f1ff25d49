using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AiPlatform.Messages;
using AiPlatform.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AiPlatform.Workers.Host;

/// <summary>
/// A worker's metrics, read off what it already does: the task commands it receives (consume observer) and the
/// events and heartbeats it publishes (publish observer), plus gauges of its slots, runner processes and memory.
/// Observing the bus keeps the task code free of metrics calls and counts exactly what the rest of the fleet sees.
/// </summary>
public sealed class WorkerMetrics : IConsumeObserver, IPublishObserver
{
    private static readonly string[] FinalStates = ["completed", "failed", "cancelled", "released"];
    private readonly string _taskType;
    private readonly ConcurrentDictionary<(Guid TaskId, int Attempt), DateTimeOffset> _started = new();
    private readonly TrainingProgressGauges? _training;
    private long _lastHeartbeatUnixMs;

    public WorkerMetrics(WorkerIdentity identity, RunningTasks running, IOptions<WorkerOptions> options)
    {
        _taskType = identity.Kind switch
        {
            WorkerKinds.Ingest => TaskTypes.Ingestion,
            WorkerKinds.Train => TaskTypes.Training,
            _ => TaskTypes.Inference,
        };
        // Every series of this worker's type starts at zero: a series that first appears at 1 is no increase to
        // Prometheus, so the failure-rate alert would miss a worker's first failures.
        PlatformMetrics.TasksStarted.Add(0, TypeTag);
        foreach (var state in FinalStates) PlatformMetrics.TasksFinished.Add(0, TypeTag, new KeyValuePair<string, object?>("state", state));
        var meter = PlatformMetrics.Meter;
        if (_taskType == TaskTypes.Training) _training = new TrainingProgressGauges(meter, TimeProvider.System);
        meter.CreateObservableGauge("aiplatform.worker.slots", () => new[]
        {
            new Measurement<int>(running.Ids.Count, new KeyValuePair<string, object?>("state", "busy")),
            new Measurement<int>(Math.Max(0, options.Value.Concurrency - running.Ids.Count), new KeyValuePair<string, object?>("state", "free")),
        }, "{slot}", "Task slots of this worker, busy or free.");
        meter.CreateObservableGauge("aiplatform.worker.runner.processes", () => ProcessTree.Children().Count,
            "{process}", "Script-runner child processes alive, warm ones included.");
        meter.CreateObservableGauge("aiplatform.worker.memory.usage", ProcessTree.ResidentBytesWithChildren,
            "By", "Resident memory of the worker and its script runners.");
        meter.CreateObservableGauge("aiplatform.worker.memory.limit", () => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            "By", "Memory available to the worker: its container's limit, or the machine's memory.");
        meter.CreateObservableGauge("aiplatform.worker.last_heartbeat.timestamp", () => Interlocked.Read(ref _lastHeartbeatUnixMs) / 1000.0,
            "s", "When this worker last published a heartbeat (Unix time).");
    }

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.Message is ITaskCommand && context.SentTime is { } sent)
            PlatformMetrics.DispatchLatency.Record(Math.Max(0, (DateTime.UtcNow - sent).TotalSeconds), TypeTag);
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        switch (context.Message)
        {
            case WorkerHeartbeat heartbeat:
                Interlocked.Exchange(ref _lastHeartbeatUnixMs, heartbeat.Timestamp.ToUnixTimeMilliseconds());
                break;
            case TaskStarted started:
                Started(started);
                _training?.Started(started);
                break;
            case TaskReplicaStarted replica: Started(replica); break;
            case TaskProgressed progressed:
                _training?.Progressed(progressed);
                break;
            case TaskCompleted e: Finished(e, "completed"); break;
            case TaskFailed e: Finished(e, "failed"); break;
            case TaskCancelled e: Finished(e, "cancelled"); break;
            case TaskReleased e: Finished(e, "released"); break;
        }
        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;

    private KeyValuePair<string, object?> TypeTag => new("type", _taskType);

    private void Started(ITaskEvent started)
    {
        _started[(started.TaskId, started.Attempt)] = started.Timestamp;
        PlatformMetrics.TasksStarted.Add(1, TypeTag);
    }

    private void Finished(ITaskEvent final, string state)
    {
        var type = TypeTag;
        var stateTag = new KeyValuePair<string, object?>("state", state);
        PlatformMetrics.TasksFinished.Add(1, type, stateTag);
        _training?.Ended(final.TaskId);
        if (_started.TryRemove((final.TaskId, final.Attempt), out var startedAt))
            PlatformMetrics.TaskDuration.Record(Math.Max(0, (final.Timestamp - startedAt).TotalSeconds), type, stateTag);
    }
}
