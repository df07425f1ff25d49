using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// What a task's script runner carries and how long it may compute: on a fleet of its own with one ingest worker
/// (one slot, so every task meets the same pool) whose tasks are held to 10 s of CPU time, compiling included (a cold
/// compile costs a few seconds of it), and, when they declare no memory, to 400 MiB resident.
/// </summary>
public sealed class RunnerLimitsTests(RunnerLimitsTests.LimitedFleet limited) : IClassFixture<RunnerLimitsTests.LimitedFleet>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    public sealed class LimitedFleet : IAsyncLifetime
    {
        public LocalFleet Fleet { get; private set; } = null!;

        public async Task InitializeAsync() => Fleet = await LocalFleet.StartAsync(new FleetOptions
        {
            Workers = ["Workers.Ingest"],
            Settings = new Dictionary<string, string> { ["Worker__TaskCpuTimeLimit"] = "00:00:10", ["Worker__TaskMemoryLimitMiB"] = "400" },
        });

        public async Task DisposeAsync() => await Fleet.DisposeAsync();
    }

    [Fact]
    public async Task A_warm_runner_serves_its_submitters_next_task_but_never_another_submitters()
    {
        var alice = limited.Fleet.Client(await limited.Fleet.CreateKeyAsync($"alice-{Guid.NewGuid():N}"[..16], "operator"));
        var bob = limited.Fleet.Client(await limited.Fleet.CreateKeyAsync($"bob-{Guid.NewGuid():N}"[..16], "operator"));
        var marker = $"leftover-{Guid.NewGuid():N}";

        var first = await RunStateProbeAsync(alice, marker);
        var again = await RunStateProbeAsync(alice, marker);
        var other = await RunStateProbeAsync(bob, marker);

        // The same submitter's next task reuses the warm process: its static state and its /tmp are still there.
        Assert.Equal(first["tasks_in_this_process"]!.GetValue<int>() + 1, again["tasks_in_this_process"]!.GetValue<int>());
        Assert.True(again["found_leftover"]!.GetValue<bool>());
        // Another submitter's script starts in a process no one else's script ran in.
        Assert.Equal(1, other["tasks_in_this_process"]!.GetValue<int>());
        Assert.False(other["found_leftover"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_script_over_its_cpu_time_is_stopped_and_fails_saying_so_while_one_that_waits_longer_completes()
    {
        AssertFailed(await RunAsync(limited.Fleet.Http, "spin.csx", new { seconds = 120 }), "cpu time limit 10 s exceeded");
        // Waiting costs no CPU: 12 s of wall time is within a 10 s CPU budget.
        AssertCompleted(await RunAsync(limited.Fleet.Http, "sleep.csx", new { seconds = 12 }));
    }

    [Fact]
    public async Task A_task_that_declares_no_memory_is_held_to_the_workers_limit()
    {
        AssertFailed(await RunAsync(limited.Fleet.Http, "memory_hog.csx", new { mib = 2048 }), "memory limit 400 MiB exceeded");
        AssertCompleted(await RunAsync(limited.Fleet.Http, "memory_hog.csx", new { mib = 32 }));
    }

    [Fact]
    public async Task A_task_that_declares_a_tenth_of_a_core_gets_a_tenth_however_many_threads_it_spins()
    {
        // Two spinning threads take both cores of an idle machine, and got 0.45 of a core on one loaded by benchmarks:
        // the cgroup's quota holds them to 0.1 between them.
        var task = await RunAsync(limited.Fleet.Http, "cpu_spin.csx", new { seconds = 3, threads = 2 }, new { cpu = 0.1 });
        AssertCompleted(task);
        Assert.InRange(task["result"]!["cores"]!.GetValue<double>(), 0.02, 0.2);
    }

    private static async Task<JsonNode> RunStateProbeAsync(HttpClient submitter, string marker)
    {
        var task = await RunAsync(submitter, "runner_state.csx", new { marker });
        AssertCompleted(task);
        return task["result"]!;
    }

    private static async Task<JsonNode> RunAsync(HttpClient submitter, string script, object parameters, object? resources = null)
    {
        var id = await submitter.SubmitTaskAsync(new
        {
            type = "ingestion", name = $"limits-{Guid.NewGuid():N}"[..20], script, input = "in", output = "out", @params = parameters, resources,
        });
        return await submitter.WaitForTaskStatusAsync(id, Patience, "completed", "failed");
    }

    private static void AssertCompleted(JsonNode task) => Assert.True(task["status"]!.GetValue<string>() == "completed", task.ToJsonString());

    private static void AssertFailed(JsonNode task, string errorStart)
    {
        Assert.Equal("failed", task["status"]!.GetValue<string>());
        Assert.StartsWith(errorStart, task["error"]!.GetValue<string>());
    }
}
