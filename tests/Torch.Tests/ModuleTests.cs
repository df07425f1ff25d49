using AiPlatform.Torch;
using Xunit;
using static AiPlatform.Torch.torch;

namespace AiPlatform.Torch.Tests;

/// <summary>Conv + batch norm + linear, with the same names as SmallNet in python/interop.py.</summary>
public sealed class SmallNet : nn.Module
{
    private readonly nn.Conv2d conv = new(1, 4, 3, padding: 1);
    private readonly nn.BatchNorm2d bn = new(4);
    private readonly nn.Linear fc = new(4 * 14 * 14, 3);

    public SmallNet() => RegisterComponents();

    public override Tensor forward(Tensor x) =>
        fc.forward(nn.functional.max_pool2d(bn.forward(conv.forward(x.reshape(-1, 1, 28, 28))).relu(), 2, 2).flatten(1));
}

public sealed class ModuleTests
{
    [Fact]
    public void Modules_register_parameters_and_buffers_under_PyTorch_names()
    {
        using var model = new SmallNet();
        Assert.Equal(["conv.weight", "conv.bias", "bn.weight", "bn.bias", "fc.weight", "fc.bias"], model.named_parameters().Select(p => p.Name));
        Assert.Equal(["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"], model.named_buffers().Select(b => b.Name));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.Equal([3L, 784], model.named_parameters().First(p => p.Name == "fc.weight").Parameter.shape);
    }

    [Fact]
    public void Dropout_and_batch_norm_follow_train_and_eval_mode()
    {
        using var scope = NewDisposeScope();
        var dropout = new nn.Dropout(0.5);
        var x = ones([1000]);
        Assert.Contains(0f, dropout.forward(x).ToArray<float>());
        dropout.eval();
        Assert.Equal(x.ToArray<float>(), dropout.forward(x).ToArray<float>());

        using var model = new SmallNet();
        var input = rand([8, 784]);
        model.eval();
        var first = model.forward(input).ToArray<float>();
        Assert.Equal(first, model.forward(input).ToArray<float>());
        model.train();
        _ = model.forward(input);
        model.eval();
        // A training pass moved the running statistics, so evaluation now differs.
        Assert.NotEqual(first, model.forward(input).ToArray<float>());
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void Optimizers_reduce_the_loss(string name)
    {
        manual_seed(3);
        using var model = new nn.Linear(4, 1);
        using optim.Optimizer optimizer = name switch
        {
            "sgd" => new optim.SGD(model.parameters(), lr: 0.05, momentum: 0.9, weight_decay: 1e-4),
            "adam" => optim.Adam(model.parameters(), lr: 0.05),
            _ => optim.AdamW(model.parameters(), lr: 0.05),
        };
        using var data = NewDisposeScope();
        var x = randn([256, 4]);
        var y = x.matmul(tensor(new float[] { 1, -2, 3, 0.5f }, 4, 1)) + 0.25;
        double Loss()
        {
            using var scope = NewDisposeScope();
            return nn.functional.mse_loss(model.forward(x), y).item<double>();
        }
        var initial = Loss();
        var schedule = new optim.lr_scheduler.StepLR(optimizer, step_size: 100, gamma: 0.5);
        for (var step = 0; step < 200; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(model.forward(x), y).backward();
            optimizer.step();
            schedule.step();
        }
        Assert.True(Loss() < initial / 20, $"loss went from {initial} to {Loss()}");
        Assert.Equal(0.05 * 0.25, optimizer.lr, 9);
    }

    [Fact]
    public void State_dicts_round_trip_through_bytes()
    {
        using var scope = NewDisposeScope();
        using var source = new SmallNet();
        source.eval();
        var input = rand([4, 784]);
        var bytes = source.save_state_dict();
        using var copy = new SmallNet();
        copy.eval();
        copy.load_state_dict(bytes);
        Assert.Equal(source.forward(input).ToArray<float>(), copy.forward(input).ToArray<float>());

        using var other = new nn.Linear(2, 2);
        var error = Assert.Throws<TorchException>(() => other.load_state_dict(bytes));
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void Weights_saved_here_load_in_PyTorch_and_give_the_same_logits()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = new SmallNet();
        model.train();
        _ = model.forward(rand([16, 784]));  // move the batch-norm statistics away from their defaults
        model.eval();
        var input = rand([5, 784]);
        var folder = Directory.CreateTempSubdirectory("aip-torch-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "w.pt"), model.save_state_dict());
        File.WriteAllBytes(Path.Combine(folder, "x.f32"), input.ToArray<float>().SelectMany(BitConverter.GetBytes).ToArray());
        var python = Python("logits", Path.Combine(folder, "w.pt"), Path.Combine(folder, "x.f32"));
        Assert.Equal(python, model.forward(input).ToArray<float>(), new Tolerance(1e-4f));
    }

    [Fact]
    public void Weights_saved_by_PyTorch_load_here_and_give_the_same_logits()
    {
        using var scope = NewDisposeScope();
        var input = rand([5, 784]);
        var folder = Directory.CreateTempSubdirectory("aip-torch-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "x.f32"), input.ToArray<float>().SelectMany(BitConverter.GetBytes).ToArray());
        var python = Python("save", Path.Combine(folder, "w.pt"), Path.Combine(folder, "x.f32"));
        using var model = new SmallNet();
        model.load_state_dict(File.ReadAllBytes(Path.Combine(folder, "w.pt")));
        model.eval();
        Assert.Equal(python, model.forward(input).ToArray<float>(), new Tolerance(1e-4f));
    }

    private static float[] Python(params string[] arguments) =>
        PyTorchScript.Run("interop.py", arguments).Select(v => (float)v).ToArray();

    private sealed class Tolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
