using AiPlatform.Platform.Tests.Infrastructure;
using AiPlatform.ServiceDefaults.BrokerLink;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>How a process judges its own queues from the probes it sends them (the broker restart tests run the real thing).</summary>
public sealed class EndpointProbeTests
{
    private static readonly Uri Instance = new("rabbitmq://127.0.0.1:5673/vhost/vm_worker_instance?temporary=true");
    private static readonly Uri BusEndpoint = new("rabbitmq://127.0.0.1:5673/vhost/vm_worker_bus?temporary=true");

    [Fact]
    public void An_endpoint_whose_accepted_probe_never_arrives_is_deaf_and_named_and_one_that_hears_again_is_not()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var endpoints = new ProbedEndpoints(clock);
        endpoints.Watch(Instance);
        endpoints.Watch(BusEndpoint);

        endpoints.Sent(Instance);
        endpoints.Sent(BusEndpoint);
        clock.Now += TimeSpan.FromSeconds(1);
        endpoints.Heard(new Uri("rabbitmq://127.0.0.1:5673/vhost/vm_worker_bus"));
        clock.Now += ProbedEndpoints.AnswerLimit;
        // Probes sent later do not restart the silence: it counts from the oldest probe not heard back.
        endpoints.Sent(Instance);

        var problem = endpoints.Problem();
        Assert.NotNull(problem);
        Assert.Contains("vm_worker_instance is deaf", problem);
        Assert.DoesNotContain("vm_worker_bus", problem);

        endpoints.Heard(Instance);
        Assert.Null(endpoints.Problem());
    }

    [Fact]
    public void Probes_the_broker_never_accepted_prove_nothing()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var endpoints = new ProbedEndpoints(clock);
        endpoints.Watch(Instance);
        clock.Now += ProbedEndpoints.AnswerLimit * 10;
        Assert.Null(endpoints.Problem());

        endpoints.Sent(Instance);
        clock.Now += ProbedEndpoints.AnswerLimit - TimeSpan.FromSeconds(1);
        Assert.Null(endpoints.Problem());
    }
}
