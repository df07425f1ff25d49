using AiPlatform.Messages;
using AiPlatform.Workers.Host;

return await WorkerProgram.RunAsync(args, WorkerKinds.Ingest, role => role.ConsumesTasks<RunIngestion>(QueueNames.Ingest));
