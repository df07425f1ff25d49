namespace AiPlatform.Messages;

public static class TaskTypes
{
    public const string Ingestion = "ingestion";
    public const string Training = "training";
    public const string Inference = "inference";

    public static readonly IReadOnlyList<string> All = [Ingestion, Training, Inference];
}

public static class WorkerKinds
{
    public const string Ingest = "ingest";
    public const string Train = "train";
    public const string Serve = "serve";
}

/// <summary>Queue names are part of the contract: operators see them in RabbitMQ and the monitoring page.</summary>
public static class QueueNames
{
    public const string Ingest = "ingest-tasks";
    public const string Train = "train-tasks";
    public const string TaskSaga = "task-state";
    public const string TaskEvents = "task-events";
    public const string WorkerHeartbeats = "worker-heartbeats";

    public const string Predictions = "predict-requests";
}
