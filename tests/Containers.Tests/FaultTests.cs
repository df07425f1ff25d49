using AiPlatform.Fleet;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Containers.Tests;

/// <summary>Faults across containers: a worker container killed mid-task, the RabbitMQ container restarted, the gateway
/// container stopped and started again. Each test leaves the deployment healthy.</summary>
[Collection(DeploymentCollection.Name)]
public sealed class FaultTests(DeploymentFixture deployment, ITestOutputHelper output)
{
    [PodmanFact]
    public async Task A_task_whose_worker_container_is_killed_is_retried_on_another_container()
    {
        DeploymentFixture.Run(TimeSpan.FromMinutes(10), "scale", "worker-train=2");
        try
        {
            var id = await deployment.Http.SubmitHoldAsync("killed-worker", seconds: 20);
            var first = await deployment.Http.WaitAsync(id, TimeSpan.FromMinutes(2),
                task => TaskHelpers.IsRunning(task) && task["progress"] is not null, "running with progress");
            var killed = TaskHelpers.ContainerRunning(first, "worker-train");
            var killedHost = Podman.HostName(killed);
            Podman.Output("kill", "--signal", "KILL", killed);
            output.WriteLine($"killed {killed} ({killedHost}) mid-task");

            var done = await deployment.Http.WaitForStatusAsync(id, TimeSpan.FromMinutes(4), "completed", "failed");
            Assert.Equal("completed", done["status"]!.GetValue<string>());
            Assert.True(done["attempts"]!.GetValue<int>() >= 2, done.ToJsonString());
            Assert.NotEqual(killedHost, done["result"]!["host"]!.GetValue<string>());
            output.WriteLine($"completed on {done["result"]!["host"]} after {done["attempts"]} attempts");
        }
        finally
        {
            DeploymentFixture.Run(TimeSpan.FromMinutes(5), "scale", "worker-train=1");
        }
    }

    [PodmanFact]
    public async Task Workers_reconnect_after_the_rabbitmq_container_restarts()
    {
        var before = await deployment.Http.SubmitHoldAsync("across-broker-restart", seconds: 15);
        await deployment.Http.WaitAsync(before, TimeSpan.FromMinutes(2), TaskHelpers.IsRunning, "running");
        Podman.Output("restart", Assert.Single(Podman.ContainersOf("rabbitmq")));
        output.WriteLine(DeploymentFixture.Run(TimeSpan.FromMinutes(5), "status"));

        Assert.Equal("completed", (await deployment.Http.WaitForStatusAsync(before, TimeSpan.FromMinutes(4), "completed", "failed"))["status"]!.GetValue<string>());
        // Every worker container is ready again (bus connected): a new task is taken and finished.
        DeploymentFixture.Run(TimeSpan.FromMinutes(5), "up");
        var after = await deployment.Http.SubmitHoldAsync("after-broker-restart", seconds: 1);
        Assert.Equal("completed", (await deployment.Http.WaitForStatusAsync(after, TimeSpan.FromMinutes(2), "completed", "failed"))["status"]!.GetValue<string>());
    }

    [PodmanFact]
    public async Task No_task_is_lost_while_the_gateway_container_is_stopped()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++) ids.Add(await deployment.Http.SubmitHoldAsync("gateway-outage", seconds: 3));
        var gateway = Assert.Single(Podman.ContainersOf("gateway"));
        Podman.Output("stop", "-t", "10", gateway);
        // The tasks run and finish while no gateway listens; their events wait in RabbitMQ.
        await Task.Delay(TimeSpan.FromSeconds(15));
        Podman.Output("start", gateway);
        DeploymentFixture.Run(TimeSpan.FromMinutes(5), "up");

        foreach (var id in ids)
        {
            var task = await deployment.Http.WaitForStatusAsync(id, TimeSpan.FromMinutes(3), "completed", "failed");
            Assert.Equal("completed", task["status"]!.GetValue<string>());
            Assert.Equal(1, task["attempts"]!.GetValue<int>());
        }
    }
}
