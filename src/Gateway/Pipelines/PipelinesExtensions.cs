using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using AiPlatform.Gateway.Pipelines.Scheduling;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Pipelines;

public static class PipelinesExtensions
{
    /// <summary>Pipeline definitions, validation, the step launcher and the monitor that backs the run saga up.</summary>
    public static WebApplicationBuilder AddPipelines(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<PipelineOptions>(builder.Configuration.GetSection("Pipelines"));
        builder.Services.Configure<TemplateOptions>(builder.Configuration.GetSection("Pipelines"));
        builder.Services.AddSingleton<PipelineTemplates>();
        builder.Services.AddScoped<PipelineValidator>();
        builder.Services.AddScoped<StepLauncher>();
        builder.Services.AddScoped<RunStarter>();
        builder.Services.AddHostedService<PipelineMonitor>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<PipelineScheduler>();
        return builder;
    }

    /// <summary>The run saga (persisted like the task saga) and the consumer that feeds it the ends of step tasks.</summary>
    public static void AddPipelineRuns(this IBusRegistrationConfigurator bus)
    {
        bus.AddSagaStateMachine<PipelineRunStateMachine, PipelineRunState>().Repository(r =>
        {
            r.RegisterSagaRepository<PipelineRunState, DbContext, SagaConsumeContextFactory<DbContext, PipelineRunState>,
                EfSagaRepositoryContextFactory<PipelineRunState>>();
            r.RegisterQuerySagaRepository<PipelineRunState, EfSagaRepositoryContextFactory<PipelineRunState>>();
            r.RegisterLoadSagaRepository<PipelineRunState, EfSagaRepositoryContextFactory<PipelineRunState>>();
        });
        bus.AddConsumer<PipelineTaskEvents>();
        bus.AddConsumer<PipelineActionConsumer>();
    }

    public static void ConfigurePipelineEndpoints(this IRabbitMqBusFactoryConfigurator bus, IBusRegistrationContext context)
    {
        bus.ReceiveEndpoint(PipelineQueueNames.Runs, e =>
        {
            e.UseDatabaseOutageRetry();
            // Events of one run collide on its row version; retrying replays them on fresh state.
            e.UseMessageRetry(r => r.ExceptDatabaseOutages().Intervals(10, 25, 50, 100, 200, 400, 800, 1000, 1000, 2000, 2000, 5000, 5000));
            e.UseInMemoryOutbox(context);
            e.ConfigureSaga<PipelineRunState>(context);
        });
        bus.ReceiveEndpoint(PipelineQueueNames.TaskEvents, e =>
        {
            e.UseDatabaseOutageRetry();
            e.UseMessageRetry(r => r.ExceptDatabaseOutages().Intervals(100, 500, 1000, 5000));
            e.ConfigureConsumer<PipelineTaskEvents>(context);
        });
        bus.ReceiveEndpoint(PipelineQueueNames.Actions, e =>
        {
            e.UseDatabaseOutageRetry();
            e.UseMessageRetry(r => r.ExceptDatabaseOutages().Intervals(100, 500, 1000, 5000));
            e.UseInMemoryOutbox(context);
            e.ConfigureConsumer<PipelineActionConsumer>(context);
        });
    }
}
