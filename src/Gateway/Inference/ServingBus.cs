using AiPlatform.Messages;
using MassTransit;

namespace AiPlatform.Gateway.Inference;

/// <summary>The gateway's side of serving on the bus: answering where aliases point, recording what replicas serve.</summary>
public static class ServingBus
{
    public const string QueueName = "serving-models";

    public static void AddServingConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<ModelAliasResolver>();
        bus.AddConsumer<ServedModelRecorder>();
    }

    public static void ConfigureServingEndpoints(this IRabbitMqBusFactoryConfigurator bus, IBusRegistrationContext context) =>
        bus.ReceiveEndpoint(QueueName, e =>
        {
            e.UseMessageRetry(r => r.Intervals(100, 500, 1000, 5000));
            e.ConfigureConsumer<ModelAliasResolver>(context);
            e.ConfigureConsumer<ServedModelRecorder>(context);
        });
}
