using AiPlatform.Messages;
using AiPlatform.Workers.Host;

return await WorkerProgram.RunAsync(args, WorkerKinds.Serve, role => role.HostsInferenceServices());
