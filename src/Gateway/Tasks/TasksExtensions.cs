using AiPlatform.Gateway.Inference;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Pipelines;
using AiPlatform.Gateway.Registry;
using AiPlatform.Gateway.Workers;
using AiPlatform.Messages;
using AiPlatform.ServiceDefaults.TaskQueues;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Tasks;

public static class TasksExtensions
{
    /// <summary>The task store, the saga and the consumers that keep task state, plus the bus they run on.</summary>
    public static WebApplicationBuilder AddTasks(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.Configure<TaskOptions>(configuration.GetSection("Tasks"));
        services.Configure<ScriptOptions>(configuration.GetSection("Scripts"));
        services.Configure<RabbitMqOptions>(configuration.GetSection("RabbitMq"));
        services.AddSingleton<ScriptCatalog>();
        services.AddSingleton<TaskFeed>();
        services.AddScoped<TaskAdmission>();
        services.AddScoped<SubmitDispatch>();
        services.AddScoped<TaskSubmission>();
        services.AddHostedService<TaskMonitor>();
        services.AddHostedService<CheckpointSweeper>();
        services.AddHostedService<RetiredSagaBindings>();
        services.AddPriorityTaskQueues(QueueNames.Ingest, QueueNames.Train);

        var connectionString = configuration.GetConnectionString("Platform")
                               ?? throw new InvalidOperationException("ConnectionStrings:Platform is not set");
        services.AddPlatformDbContext(db => db
            .UseNpgsql(connectionString)
            // The schema is kept in hand-written migrations; there is no design-time snapshot to compare with.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)
                // A failed save is an exception its caller handles: a duplicate name is an expected 409, logged by no one;
                // anything unexpected reaches the API's error handler, which logs it once with a trace id.
                .Log((CoreEventId.SaveChangesFailed, LogLevel.Debug), (RelationalEventId.CommandError, LogLevel.Debug))));

        services.AddMassTransit(x =>
        {
            // No telemetry leaves the machine.
            x.DisableUsageTelemetry();
            x.AddSagaStateMachine<TaskStateMachine, TaskState>().Repository(r =>
            {
                r.RegisterSagaRepository<TaskState, DbContext, SagaConsumeContextFactory<DbContext, TaskState>,
                    EfSagaRepositoryContextFactory<TaskState>>();
                r.RegisterQuerySagaRepository<TaskState, EfSagaRepositoryContextFactory<TaskState>>();
                r.RegisterLoadSagaRepository<TaskState, EfSagaRepositoryContextFactory<TaskState>>();
            });
            AddTimelineRecorder<TaskEventRecorder<TaskStarted>, TaskStarted>(x);
            AddTimelineRecorder<TaskEventRecorder<TaskReplicaStarted>, TaskReplicaStarted>(x);
            AddTimelineRecorder<TaskProgressRecorder, TaskProgressed>(x);
            AddTimelineRecorder<TaskEventRecorder<TaskCompleted>, TaskCompleted>(x);
            AddTimelineRecorder<TaskEventRecorder<TaskFailed>, TaskFailed>(x);
            AddTimelineRecorder<TaskEventRecorder<TaskCancelled>, TaskCancelled>(x);
            AddTimelineRecorder<TaskEventRecorder<TaskReleased>, TaskReleased>(x);
            AddTimelineRecorder<TaskEventRecorder<TaskLogged>, TaskLogged>(x);
            x.AddConsumer<ClaimTaskConsumer>();
            x.AddConsumer<WorkerHeartbeatConsumer>();
            x.AddConsumer<WorkerStoppedConsumer>();
            x.AddConsumer<RunningServicesConsumer>();
            x.AddConsumer<TaskResultRegistrar>();
            x.AddPipelineRuns();
            x.AddServingConsumers();
            x.AddRequestClient<Predict>(new Uri($"queue:{QueueNames.Predictions}"), RequestTimeout.After(s: 30));

            x.UsingRabbitMq((context, bus) =>
            {
                var rabbit = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                bus.Host(rabbit.Host, rabbit.Port, rabbit.VirtualHost, h =>
                {
                    h.Username(rabbit.Username);
                    h.Password(rabbit.Password);
                });
                bus.ReceiveEndpoint(QueueNames.TaskSaga, e =>
                {
                    e.UseDatabaseOutageRetry();
                    // Concurrent events for one task collide on the row version; retrying replays them on fresh state.
                    e.UseMessageRetry(r => r.ExceptDatabaseOutages().Intervals(10, 25, 50, 100, 200, 400, 800, 1000, 1000, 2000, 2000, 5000, 5000));
                    e.UseInMemoryOutbox(context);
                    e.PrefetchCount = 2 * SagaPartitions;
                    // A task's claim and events are handled one at a time, different tasks' side by side: a short task's
                    // claim and end arrive within milliseconds, and handled together they would collide on the row
                    // version and wait out retries.
                    var partition = e.CreatePartitioner(SagaPartitions);
                    e.ConfigureConsumer<ClaimTaskConsumer>(context, claims =>
                        claims.Message<ClaimTask>(m => m.UsePartitioner(partition, c => c.Message.TaskId)));
                    e.ConfigureSaga<TaskState>(context, saga =>
                    {
                        saga.Message<TaskSubmitted>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
                        saga.Message<TaskReplicaStarted>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
                        saga.Message<TaskCompleted>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
                        saga.Message<TaskFailed>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
                        saga.Message<TaskCancelled>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
                        saga.Message<TaskReleased>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
                        saga.Message<TaskHeartbeatLost>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
                        saga.Message<CancelTask>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
                        saga.Message<TaskUndispatchable>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
                    });
                });
                bus.ReceiveEndpoint(QueueNames.TaskEvents, e =>
                {
                    e.UseDatabaseOutageRetry();
                    e.UseMessageRetry(r => r.ExceptDatabaseOutages().Intervals(100, 500, 1000, 5000));
                    e.ConfigureConsumer<TaskEventRecorder<TaskStarted>>(context);
                    e.ConfigureConsumer<TaskEventRecorder<TaskReplicaStarted>>(context);
                    e.ConfigureConsumer<TaskProgressRecorder>(context);
                    e.ConfigureConsumer<TaskEventRecorder<TaskCompleted>>(context);
                    e.ConfigureConsumer<TaskEventRecorder<TaskFailed>>(context);
                    e.ConfigureConsumer<TaskEventRecorder<TaskCancelled>>(context);
                    e.ConfigureConsumer<TaskEventRecorder<TaskReleased>>(context);
                    e.ConfigureConsumer<TaskEventRecorder<TaskLogged>>(context);
                    e.ConfigureConsumer<RunningServicesConsumer>(context);
                });
                // Its own queue: a registration retried (the database busy, the lake slow) never replays the timeline recorder.
                bus.ReceiveEndpoint(TaskResultRegistrar.QueueName, e =>
                {
                    e.UseDatabaseOutageRetry();
                    e.UseMessageRetry(r => r.ExceptDatabaseOutages().Intervals(500, 1000, 5000, 10000));
                    e.ConfigureConsumer<TaskResultRegistrar>(context);
                });
                bus.ConfigurePipelineEndpoints(context);
                bus.ConfigureServingEndpoints(context);
                bus.ReceiveEndpoint(QueueNames.WorkerHeartbeats, e =>
                {
                    e.UseDatabaseOutageRetry();
                    e.UseMessageRetry(r => r.ExceptDatabaseOutages().Intervals(100, 500, 1000));
                    e.ConfigureConsumer<WorkerHeartbeatConsumer>(context);
                    e.ConfigureConsumer<WorkerStoppedConsumer>(context);
                });
            });
        });
        return builder;
    }

    /// <summary>Tasks whose events the saga handles at once.</summary>
    private const int SagaPartitions = 16;

    private static void AddTimelineRecorder<TRecorder, TEvent>(IBusRegistrationConfigurator x)
        where TRecorder : TaskEventRecorder<TEvent> where TEvent : class, ITaskEvent =>
        x.AddConsumer<TRecorder>(c => c.Options<BatchOptions>(batch =>
        {
            batch.MessageLimit = TaskEventRecorder<TEvent>.BatchLimit;
            batch.TimeLimit = TaskEventRecorder<TEvent>.BatchWindow;
        }));

    /// <summary>
    /// Brings the database schema up to date before the gateway serves anything, waiting for the database for a
    /// while: under an orchestrator the gateway may start first.
    /// </summary>
    public static async Task MigrateTaskStoreAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Migrations");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var scope = app.Services.CreateScope();
                await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().Database.MigrateAsync();
                return;
            }
            catch (Npgsql.NpgsqlException e) when (attempt < 30)
            {
                logger.LogWarning("Database not reachable yet ({Message}); retrying in 2 s", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }
    }
}
