using AiPlatform.Fleet;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Containers.Tests;

/// <summary><c>scale worker-train=3</c>: three containers share the train queue and run three trainings at once.</summary>
[Collection(DeploymentCollection.Name)]
public sealed class ScalingTests(DeploymentFixture deployment, ITestOutputHelper output)
{
    [PodmanFact]
    public async Task Three_train_containers_run_three_trainings_at_once()
    {
        output.WriteLine(DeploymentFixture.Run(TimeSpan.FromMinutes(10), "scale", "worker-train=3"));
        try
        {
            Assert.Equal(3, Podman.ContainersOf("worker-train").Count);
            var ids = new List<Guid>();
            for (var i = 0; i < 3; i++) ids.Add(await deployment.Http.SubmitHoldAsync("scaled-train", seconds: 40));

            var running = new List<string>();
            foreach (var id in ids)
                running.Add(TaskHelpers.ContainerRunning(
                    await deployment.Http.WaitAsync(id, TimeSpan.FromMinutes(2), TaskHelpers.IsRunning, "running"), "worker-train"));
            // All three started before any could finish (each holds 40 s), on three different containers.
            foreach (var id in ids)
                Assert.Equal("running", (await deployment.Http.WaitAsync(id, TimeSpan.FromSeconds(30), _ => true, "an answer"))["status"]!.GetValue<string>());
            Assert.Equal(3, running.Distinct().Count());
            output.WriteLine($"trainings ran on {string.Join(", ", running)}");

            for (var i = 0; i < ids.Count; i++)
            {
                var done = await deployment.Http.WaitForStatusAsync(ids[i], TimeSpan.FromMinutes(2), "completed", "failed");
                Assert.Equal("completed", done["status"]!.GetValue<string>());
                Assert.Equal(Podman.HostName(running[i]), done["result"]!["host"]!.GetValue<string>());
            }
        }
        finally
        {
            DeploymentFixture.Run(TimeSpan.FromMinutes(5), "scale", "worker-train=1");
        }
        Assert.Single(Podman.ContainersOf("worker-train"));
    }
}
