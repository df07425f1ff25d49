using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace AiPlatform.Workers.Host;

/// <summary>Every serve worker hears every new service and becomes one of its replicas.</summary>
public sealed class StartInferenceServiceConsumer(ServiceReplicas replicas, ILogger<StartInferenceServiceConsumer> logger)
    : IConsumer<StartInferenceService>
{
    public async Task Consume(ConsumeContext<StartInferenceService> context)
    {
        try
        {
            await replicas.HostAsync(context.Message);
        }
        catch (Exception e)
        {
            // Already reported as TaskFailed by the replica; nothing to redeliver.
            logger.LogWarning("Service {TaskId} did not start here: {Error}", context.Message.TaskId, e.Message);
        }
    }
}

/// <summary>Answers a predict request from the replica of the named service in this worker.</summary>
public sealed class PredictConsumer(ServiceReplicas replicas, WorkerIdentity identity) : IConsumer<Predict>
{
    public async Task Consume(ConsumeContext<Predict> context)
    {
        var request = context.Message;
        try
        {
            var reply = await replicas.PredictAsync(request.TaskId, request.Body, context.CancellationToken);
            if (reply.AnswerJson is { } answer) await context.RespondAsync(new PredictionMade(request.TaskId, identity.WorkerId, answer, reply.Model));
            else await context.RespondAsync(new PredictionFailed(request.TaskId, identity.WorkerId, reply.Error ?? "no answer", reply.InvalidInput));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await context.RespondAsync(new PredictionFailed(request.TaskId, identity.WorkerId, e.Message, false));
        }
    }
}

/// <summary>A serve worker that starts late catches up on the services already running.</summary>
public sealed class ServiceCatchUp(IBus bus, ServiceReplicas replicas, WorkerIdentity identity, ILogger<ServiceCatchUp> logger)
    : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var services = bus.CreateRequestClient<GetRunningServices>(RequestTimeout.After(s: 10));
        for (var delay = TimeSpan.FromSeconds(1); !stoppingToken.IsCancellationRequested; delay *= 2)
        {
            try
            {
                var response = await services.GetResponse<RunningServices>(new GetRunningServices(identity.WorkerId), stoppingToken);
                foreach (var service in response.Message.Services) _ = replicas.HostAsync(service);
                replicas.CaughtUp();
                return;
            }
            catch (RequestTimeoutException)
            {
                logger.LogWarning("No answer yet about running services; asking again in {Delay}", delay);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }
}
