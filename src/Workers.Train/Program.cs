using AiPlatform.Messages;
using AiPlatform.Workers.Host;

return await WorkerProgram.RunAsync(args, WorkerKinds.Train, role => role.ConsumesTasks<RunTraining>(QueueNames.Train));
