using Xunit;
using static AiPlatform.Torch.torch;

namespace AiPlatform.Torch.Tests;

/// <summary>
/// A training resumed from a checkpoint must take the steps the uninterrupted run would have: the optimizer's state
/// (moments, momentum buffers, step counts), the schedule's step and the random generator travel with the weights.
/// </summary>
public sealed class TrainingStateTests
{
    public static TheoryData<string> Optimizers => ["adam", "amsgrad", "adamw", "sgd", "rmsprop"];

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void A_run_resumed_from_saved_weights_and_optimizer_state_matches_the_uninterrupted_run(string kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        Tensor x = randn([32, 16]), y = randn([32, 8]);
        var (w, b) = (randn([8, 16]).requires_grad_(), randn([8]).requires_grad_());
        using var optimizer = Create(kind, [w, b]);
        Train(optimizer, w, b, x, y, steps: 10);
        var savedWeights = save(new Dictionary<string, Tensor> { ["w"] = w, ["b"] = b });
        var savedState = optimizer.save_state_dict();
        Train(optimizer, w, b, x, y, steps: 10);

        var resumed = Resume(kind, savedWeights, savedState, x, y);
        var fresh = Resume(kind, savedWeights, null, x, y);

        var uninterrupted = cat([w.flatten(), b]).ToArray<float>();
        for (var i = 0; i < uninterrupted.Length; i++)
            Assert.True(Math.Abs(uninterrupted[i] - resumed[i]) <= 1e-6, $"parameter {i}: {uninterrupted[i]} uninterrupted, {resumed[i]} resumed");
        // Without its state the optimizer starts over (fresh moments, no momentum): the same steps land elsewhere.
        Assert.Contains(uninterrupted.Zip(fresh), p => Math.Abs(p.First - p.Second) > 1e-4);
    }

    [Fact]
    public void State_saved_for_other_parameters_is_refused_naming_the_mismatch()
    {
        using var scope = NewDisposeScope();
        var small = randn([4]).requires_grad_();
        using var first = optim.Adam([small], lr: 0.1);
        small.sum().backward();
        first.step();
        var state = first.save_state_dict();

        var large = randn([6]).requires_grad_();
        using var second = optim.Adam([large], lr: 0.1);
        var error = Assert.Throws<TorchException>(() => second.load_state_dict(state));
        Assert.Contains("0.exp_avg", error.Message);
    }

    [Fact]
    public void A_restored_random_state_draws_again_what_was_drawn_after_it_was_saved()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var state = get_rng_state();
        var first = randn([16]).ToArray<float>();
        var next = randn([16]).ToArray<float>();

        set_rng_state(state);

        Assert.Equal(first, randn([16]).ToArray<float>());
        Assert.NotEqual(first, next);
    }

    [Fact]
    public void A_schedule_put_back_at_a_saved_step_gives_the_rates_the_uninterrupted_one_gives()
    {
        using var scope = NewDisposeScope();
        var parameters = new[] { randn([4]).requires_grad_() };
        using var first = new optim.SGD(parameters, lr: 0.1, momentum: 0.9);
        var uninterrupted = new optim.lr_scheduler.OneCycleLR(first, max_lr: 1.0, total_steps: 20);
        for (var i = 0; i < 7; i++) uninterrupted.step();
        var saved = uninterrupted.state_dict();

        using var second = new optim.SGD(parameters, lr: 0.1, momentum: 0.9);
        var resumed = new optim.lr_scheduler.OneCycleLR(second, max_lr: 1.0, total_steps: 20);
        Assert.NotEqual(first.lr, second.lr);
        resumed.load_state_dict(saved);

        Assert.Equal(7, resumed.last_epoch);
        Assert.Equal(first.lr, second.lr, 12);
        for (var i = 0; i < 5; i++)
        {
            uninterrupted.step();
            resumed.step();
            Assert.Equal(first.lr, second.lr, 12);
        }
    }

    private static float[] Resume(string kind, byte[] weights, byte[]? state, Tensor x, Tensor y)
    {
        var loaded = load(weights);
        var (w, b) = (loaded["w"].requires_grad_(), loaded["b"].requires_grad_());
        using var optimizer = Create(kind, [w, b]);
        if (state is not null) optimizer.load_state_dict(state);
        Train(optimizer, w, b, x, y, steps: 10);
        return cat([w.flatten(), b]).ToArray<float>();
    }

    private static optim.Optimizer Create(string kind, Tensor[] parameters) => kind switch
    {
        "adam" => optim.Adam(parameters, lr: 0.01),
        "amsgrad" => optim.Adam(parameters, lr: 0.01, amsgrad: true),
        "adamw" => optim.AdamW(parameters, lr: 0.01),
        "sgd" => new optim.SGD(parameters, lr: 0.01, momentum: 0.9),
        "rmsprop" => optim.RMSprop(parameters, lr: 0.01, momentum: 0.5, centered: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static void Train(optim.Optimizer optimizer, Tensor w, Tensor b, Tensor x, Tensor y, int steps)
    {
        for (var step = 0; step < steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(x.matmul(w.permute(1, 0)) + b, y).backward();
            optimizer.step();
        }
    }
}
