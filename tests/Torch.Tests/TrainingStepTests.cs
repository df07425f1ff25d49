using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;
using static AiPlatform.Torch.torch;

namespace AiPlatform.Torch.Tests;

/// <summary>Runs python/training_steps.py once: PyTorch's starting data and, per case, its learning rates, clipped norms and final parameters.</summary>
public sealed class PyTorchTrainingSteps : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("aip-steps-").FullName;
    public JsonObject Results { get; }

    public PyTorchTrainingSteps()
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "python", "training_steps.py"));
        info.ArgumentList.Add(Folder);
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException("training_steps.py failed: " + errors.Result);
        Results = JsonNode.Parse(output)!.AsObject();
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>RMSprop, the learning-rate schedules and gradient clipping step for step as in PyTorch.</summary>
public sealed class TrainingStepTests(PyTorchTrainingSteps pytorch) : IClassFixture<PyTorchTrainingSteps>
{
    private const int Steps = 20;

    private static readonly Dictionary<string, (Func<Tensor[], optim.Optimizer> Optimizer, Func<optim.Optimizer, optim.lr_scheduler.LRScheduler>? Schedule,
        (double MaxNorm, double NormType)? Clip)> Cases = new()
    {
        ["rmsprop"] = (p => optim.RMSprop(p, lr: 0.01), null, null),
        ["rmsprop_centered_momentum"] = (p => optim.RMSprop(p, lr: 0.01, alpha: 0.9, eps: 1e-6, weight_decay: 0.01, momentum: 0.5, centered: true), null, null),
        ["sgd_cosine_clip"] = (p => new optim.SGD(p, lr: 0.1, momentum: 0.9), o => new optim.lr_scheduler.CosineAnnealingLR(o, T_max: 10, eta_min: 0.001), (0.5, 2.0)),
        ["adam_linear_warmup"] = (p => optim.Adam(p, lr: 0.01), o => new optim.lr_scheduler.LinearLR(o, start_factor: 0.1, total_iters: 8), null),
        ["adam_one_cycle"] = (p => optim.Adam(p, lr: 0.01), o => new optim.lr_scheduler.OneCycleLR(o, max_lr: 0.05, total_steps: Steps), null),
        ["sgd_one_cycle_linear_inf_clip"] = (p => new optim.SGD(p, lr: 0.1, momentum: 0.9, nesterov: true),
            o => new optim.lr_scheduler.OneCycleLR(o, max_lr: 0.2, total_steps: Steps, anneal_strategy: "linear", pct_start: 0.25), (1.0, double.PositiveInfinity)),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Steps_match_PyTorch(string name)
    {
        var (makeOptimizer, makeSchedule, clip) = Cases[name];
        using var scope = NewDisposeScope();
        var data = load(File.ReadAllBytes(Path.Combine(pytorch.Folder, "data.pt")));
        var w = data["w"].clone().requires_grad_();
        var b = data["b"].clone().requires_grad_();
        using var optimizer = makeOptimizer([w, b]);
        var schedule = makeSchedule?.Invoke(optimizer);
        var rates = new List<double> { optimizer.lr };
        var norms = new List<double>();
        for (var step = 0; step < Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(data["x"].matmul(w.t()) + b, data["y"]).backward();
            if (clip is var (maxNorm, normType)) norms.Add(nn.utils.clip_grad_norm_([w, b], maxNorm, normType));
            optimizer.step();
            schedule?.step();
            rates.Add(optimizer.lr);
        }

        var expected = pytorch.Results[name]!;
        AssertClose(Values(expected["lrs"]), rates, 1e-9, 1e-3, "learning rate");
        AssertClose(Values(expected["norms"]), norms, 1e-5, 1e-3, "gradient norm");
        // Parameters as AdamTests checks them: float32 updates (the engine's Adam runs fused in float) agree within 1e-5 absolute.
        AssertClose(Values(expected["params"]), cat([w.flatten(), b]).to(ScalarType.Float64).ToArray<double>(), 1e-5, 1, "parameter");
        Assert.True(Math.Abs(w.ToArray<float>()[0] - data["w"].ToArray<float>()[0]) > 1e-3, "the optimizer did not move the parameters");
    }

    [Fact]
    public void One_cycle_refuses_to_step_past_its_total()
    {
        using var scope = NewDisposeScope();
        using var optimizer = new optim.SGD([zeros([2]).requires_grad_()], lr: 0.1, momentum: 0.9);
        var schedule = new optim.lr_scheduler.OneCycleLR(optimizer, max_lr: 1, total_steps: 3);
        for (var i = 0; i < 3; i++) schedule.step();
        var error = Assert.Throws<InvalidOperationException>(schedule.step);
        Assert.Contains("total steps is 3", error.Message);
    }

    [Fact]
    public void Frozen_layers_get_no_gradient_and_keep_their_weights()
    {
        manual_seed(4);
        using var scope = NewDisposeScope();
        using var model = new nn.Sequential(("encoder", new nn.Linear(6, 8)), ("head", new nn.Linear(8, 2)));
        var encoder = model.named_children().Single(c => c.Name == "encoder").Module;
        encoder.requires_grad_(false);
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        using var optimizer = optim.Adam(model.parameters(), lr: 0.05);
        var x = randn([16, 6]);
        var y = randn([16, 2]);
        for (var step = 0; step < 5; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(model.forward(x), y).backward();
            optimizer.step();
        }

        foreach (var (name, parameter) in model.named_parameters())
        {
            var moved = (parameter - before[name]).abs().max().item<float>() > 0;
            Assert.Equal(name.StartsWith("head."), moved);
            Assert.Equal(name.StartsWith("head."), parameter.requires_grad);
        }
        Assert.Null(model.named_parameters().First(p => p.Name == "encoder.weight").Parameter.grad());

        encoder.requires_grad_();
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    private static double[] Values(JsonNode? list) => list!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

    /// <summary>Within <paramref name="relative"/> of each value, or of <paramref name="floor"/> for values smaller than it.</summary>
    private static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double relative, double floor, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relative * Math.Max(Math.Abs(expected[i]), floor),
                $"{what} {i}: {actual[i]:R} here, {expected[i]:R} in PyTorch");
    }
}
