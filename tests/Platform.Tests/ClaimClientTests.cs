using System.Collections.Concurrent;
using AiPlatform.Messages;
using AiPlatform.ServiceDefaults.BrokerLink;
using AiPlatform.Workers.Host;
using MassTransit;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// A worker's claim and the saga's answer, on an in-memory bus with a stand-in for the saga that answers the way it
/// does (RespondAsync to the claim's response address). The broker restarts these answers must survive are the chaos
/// suite's (RestartSoakTests, BrokerRestartTests).
/// </summary>
public sealed class ClaimClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    /// <summary>What the stand-in saga does with a claim of a task: answer it, refuse it, or stay silent.</summary>
    private readonly ConcurrentDictionary<Guid, Func<ConsumeContext<ClaimTask>, Task>> _saga = new();
    private readonly ConcurrentQueue<ClaimTask> _claimsSeen = new();
    private IBusControl _bus = null!;
    private ClaimClient _claims = null!;

    public async Task InitializeAsync()
    {
        _bus = Bus.Factory.CreateUsingInMemory(bus => bus.ReceiveEndpoint("task-state", endpoint => endpoint.Handler<ClaimTask>(context =>
        {
            _claimsSeen.Enqueue(context.Message);
            return _saga.TryGetValue(context.Message.TaskId, out var answer) ? answer(context) : Task.CompletedTask;
        })));
        await _bus.StartAsync();
        _claims = new ClaimClient(_bus, new WorkerIdentity("train"), new ProbedEndpoints(TimeProvider.System));
    }

    [Fact]
    public async Task A_claim_the_saga_grants_returns_no_refusal_and_one_it_refuses_returns_the_reason()
    {
        var (granted, refused) = (Guid.NewGuid(), Guid.NewGuid());
        _saga[granted] = context => context.RespondAsync(new TaskClaimed(context.Message.TaskId, context.Message.Attempt));
        _saga[refused] = context => context.RespondAsync(new TaskClaimRejected(context.Message.TaskId, context.Message.Attempt, "already completed"));

        Assert.Null(await _claims.ClaimAsync(new ClaimTask(granted, 1, "w"), _bus, Limit, CancellationToken.None));
        var refusal = await _claims.ClaimAsync(new ClaimTask(refused, 2, "w"), _bus, Limit, CancellationToken.None);

        Assert.Equal("already completed", refusal?.Reason);
        Assert.Equal(2, refusal?.Attempt);
    }

    [Fact]
    public async Task A_claim_nobody_answers_times_out_within_its_limit_saying_so()
    {
        var (answered, silent) = (Guid.NewGuid(), Guid.NewGuid());
        _saga[answered] = context => context.RespondAsync(new TaskClaimed(context.Message.TaskId, context.Message.Attempt));
        // The answer queue is connected by the first claim; that one must not eat into the silent claim's second.
        Assert.Null(await _claims.ClaimAsync(new ClaimTask(answered, 1, "w"), _bus, Limit, CancellationToken.None));

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() =>
            _claims.ClaimAsync(new ClaimTask(silent, 1, "w"), _bus, TimeSpan.FromSeconds(1), CancellationToken.None));

        Assert.Equal("no answer to ClaimTask within 1 s", timeout.Message);
        // It was sent: the stand-in saga got it (delivery runs apart from the publish, so on a busy machine a moment later).
        for (var deadline = DateTime.UtcNow.AddSeconds(10); !_claimsSeen.Any(c => c.TaskId == silent) && DateTime.UtcNow < deadline;)
            await Task.Delay(50);
        Assert.Contains(_claimsSeen, c => c.TaskId == silent);
    }

    [Fact]
    public async Task A_late_answer_to_an_earlier_try_answers_the_retry_of_the_same_attempt()
    {
        // The saga answers the first try after that try gave up, and never answers the retry (as when the retry's
        // claim is still on its way): the retry takes the late answer, since it says the same.
        var task = Guid.NewGuid();
        var tries = 0;
        _saga[task] = async context =>
        {
            if (Interlocked.Increment(ref tries) > 1) return;
            await Task.Delay(TimeSpan.FromSeconds(2));
            await context.RespondAsync(new TaskClaimed(task, 1));
        };
        await Assert.ThrowsAsync<TimeoutException>(() => _claims.ClaimAsync(new ClaimTask(task, 1, "w"), _bus, TimeSpan.FromSeconds(1), CancellationToken.None));

        Assert.Null(await _claims.ClaimAsync(new ClaimTask(task, 1, "w"), _bus, Limit, CancellationToken.None));
    }

    public Task DisposeAsync() => _bus.StopAsync();
}
