using System.Net;
using AiPlatform.Lake.ObjectStore;
using AiPlatform.Messages;
using AiPlatform.ScriptRunner;
using AiPlatform.ServiceDefaults;
using AiPlatform.ServiceDefaults.BrokerLink;
using AiPlatform.ServiceDefaults.TaskQueues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace AiPlatform.Workers.Host;

/// <summary>What a worker kind adds to the shared host: the task queue it consumes, or the inference services it hosts.</summary>
public sealed class WorkerRole
{
    internal List<Action<IBusRegistrationConfigurator>> Registrations { get; } = [];
    internal List<Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator, WorkerOptions>> Endpoints { get; } = [];
    internal List<Action<IBusRegistrationContext, IReceiveEndpointConfigurator>> InstanceEndpoint { get; } = [];
    internal List<string> TaskQueues { get; } = [];
    internal bool HostsServices { get; private set; }

    /// <summary>
    /// Competing consumers on one durable priority queue per kind: every instance of the kind takes commands from it,
    /// the highest priority first.
    /// </summary>
    public WorkerRole ConsumesTasks<TCommand>(string queueName) where TCommand : class, ITaskCommand
    {
        TaskQueues.Add(queueName);
        Registrations.Add(x => x.AddConsumer<RunTaskConsumer<TCommand>>());
        Endpoints.Add((context, bus, options) => bus.ReceiveEndpoint(queueName, e =>
        {
            e.EnablePriority(TaskPriorities.Max);
            e.PrefetchCount = options.Concurrency;
            e.ConcurrentMessageLimit = options.Concurrency;
            // Mostly claims that got no answer while the gateway or this worker's reply queue was away; each already waits
            // ClaimTimeout, so a longer pause only delays the task (and the commands queued behind it) once they are back.
            // A command that runs out of retries goes to the error queue, and the task monitor sends its task again.
            e.UseMessageRetry(r => r.Exponential(15, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)));
            e.ConfigureConsumer<RunTaskConsumer<TCommand>>(context);
        }));
        return this;
    }

    public WorkerRole HostsInferenceServices()
    {
        HostsServices = true;
        Registrations.Add(x =>
        {
            x.AddConsumer<StartInferenceServiceConsumer>();
            x.AddConsumer<ModelAliasMovedConsumer>();
            x.AddConsumer<PredictConsumer>();
        });
        InstanceEndpoint.Add((context, e) =>
        {
            e.ConfigureConsumer<StartInferenceServiceConsumer>(context);
            e.ConfigureConsumer<ModelAliasMovedConsumer>(context);
        });
        Endpoints.Add((context, bus, options) => bus.ReceiveEndpoint(QueueNames.Predictions, e =>
        {
            // More requests than one batch, so the next batch gathers while the model runs the current one.
            e.PrefetchCount = options.PredictRequestsInFlight;
            e.ConcurrentMessageLimit = options.PredictRequestsInFlight;
            e.ConfigureConsumer<PredictConsumer>(context);
        }));
        return this;
    }
}

public static class WorkerHostExtensions
{
    /// <summary>Registers the shared worker host: bus, claims, script runners, heartbeats and cancellation.</summary>
    public static IHostApplicationBuilder AddWorkerHost(this IHostApplicationBuilder builder, string kind, Action<WorkerRole> configureRole)
    {
        var role = new WorkerRole();
        configureRole(role);
        var services = builder.Services;
        services.Configure<WorkerOptions>(builder.Configuration.GetSection("Worker"));
        services.Configure<RabbitMqOptions>(builder.Configuration.GetSection("RabbitMq"));
        services.AddSingleton(new WorkerIdentity(kind));
        services.AddSingleton<RunningTasks>();
        services.AddSingleton<TaskExecutor>();
        services.AddSingleton<CheckpointCleanup>();
        services.AddSingleton<ResourceBudget>();
        services.AddSingleton(sp => new RunnerConfinement(builder.Configuration, sp.GetRequiredService<IOptions<WorkerOptions>>().Value,
            sp.GetRequiredService<ILogger<RunnerConfinement>>()));
        services.AddSingleton(sp => sp.GetRequiredService<RunnerConfinement>().Launches);
        services.AddSingleton(sp =>
        {
            var pools = new RunnerPools(sp.GetRequiredService<RunnerLaunches>(), sp.GetRequiredService<IOptions<WorkerOptions>>().Value);
            pools.Warm();
            return pools;
        });
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<BusLiveness>();
        services.AddSingleton<ClaimClient>();
        services.AddEndpointProbe();
        services.AddSingleton<WorkerLoadSampler>();
        services.AddHostedService<HeartbeatService>();
        builder.AddServiceDefaults($"aiplatform-worker-{kind}");
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(RunnerSpans.SourceName));
        services.AddSingleton<WorkerMetrics>();
        services.AddConsumeObserver(sp => sp.GetRequiredService<WorkerMetrics>());
        services.AddPublishObserver(sp => sp.GetRequiredService<WorkerMetrics>());
        services.AddHealthChecks().AddCheck("lake", new ObjectStoreReachableCheck(() => ObjectStores.Open(LakeOptionsFrom(builder.Configuration))),
            tags: [ServiceDefaultsExtensions.ReadyTag]);
        services.AddBrokerLinkWatchdog<BusLiveness>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<WorkerOptions>>().Value;
            return new BrokerLinkTimings(options.RecoveryTimeout, options.StartupTimeout, options.ShutdownGracePeriod);
        });
        if (role.HostsServices)
        {
            services.AddSingleton<ServiceReplicas>();
            services.AddSingleton<ModelAliasLookup>();
            services.AddHostedService<ServiceCatchUp>();
            services.AddHostedService<AliasFollowCheck>();
        }

        if (role.TaskQueues.Count > 0) services.AddPriorityTaskQueues([.. role.TaskQueues]);
        services.AddMassTransit(x =>
        {
            // No telemetry leaves the machine.
            x.DisableUsageTelemetry();
            x.AddConsumer<CancelTaskConsumer>();
            foreach (var registration in role.Registrations) registration(x);
            x.UsingRabbitMq((context, bus) =>
            {
                var rabbit = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                var options = context.GetRequiredService<IOptions<WorkerOptions>>().Value;
                var identity = context.GetRequiredService<WorkerIdentity>();
                bus.ConfigureRabbitMq(rabbit);
                // A queue of this instance's own, bound to the fanout messages every worker must hear.
                bus.ReceiveEndpoint(new TemporaryEndpointDefinition(identity.WorkerId), e =>
                {
                    context.GetRequiredService<ProbedEndpoints>().Watch(e);
                    e.ConfigureConsumer<CancelTaskConsumer>(context);
                    foreach (var configure in role.InstanceEndpoint) configure(context, e);
                });
                foreach (var endpoint in role.Endpoints) endpoint(context, bus, options);
            });
        });
        return builder;
    }

    /// <summary>
    /// The worker's HTTP endpoint for /metrics, /healthz and /readyz only: on <c>Worker:HttpHost</c> (loopback unless a
    /// container sets 0.0.0.0) and <c>Worker:HttpPort</c> (0 picks a free port, logged and registered as a target).
    /// </summary>
    public static WebApplicationBuilder AddWorkerHttpEndpoint(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Worker").Get<WorkerOptions>() ?? new WorkerOptions();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Parse(options.HttpHost), options.HttpPort));
        return builder;
    }

    /// <summary>The lake the worker's scripts use (<c>Lake:Root</c>, <c>S3:*</c>); the worker itself only checks that it answers.</summary>
    internal static LakeOptions LakeOptionsFrom(IConfiguration configuration) => new()
    {
        Root = configuration["Lake:Root"] ?? new LakeOptions().Root,
        S3ServiceUrl = configuration["S3:ServiceUrl"],
        S3AccessKey = configuration["S3:AccessKey"],
        S3SecretKey = configuration["S3:SecretKey"],
        S3Region = configuration["S3:Region"] ?? "us-east-1",
    };

    public static void ConfigureRabbitMq(this IRabbitMqBusFactoryConfigurator bus, RabbitMqOptions rabbit)
    {
        bus.Host(rabbit.Host, rabbit.Port, rabbit.VirtualHost, h =>
        {
            h.Username(rabbit.Username);
            h.Password(rabbit.Password);
        });
    }
}
