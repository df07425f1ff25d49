using Xunit;
using static AiPlatform.Torch.torch;

namespace AiPlatform.Torch.Tests;

/// <summary>The engine runs its own Adam (one pass per parameter); its steps must be PyTorch's.</summary>
public sealed class AdamTests
{
    [Theory]
    [InlineData("adam", ScalarType.Float32)]   // float32 parameters take the single-pass update
    [InlineData("amsgrad", ScalarType.Float32)]
    [InlineData("adamw", ScalarType.Float32)]
    [InlineData("adam", ScalarType.Float64)]   // anything else takes the tensor-operation update
    [InlineData("amsgrad", ScalarType.Float64)]
    [InlineData("adamw", ScalarType.Float64)]
    public void Steps_match_PyTorch(string kind, ScalarType dtype)
    {
        const int steps = 30;
        using var scope = NewDisposeScope();
        manual_seed(5);
        var inputs = new Dictionary<string, Tensor>
        {
            ["w"] = randn([8, 16]), ["b"] = randn([8]), ["x"] = randn([32, 16]), ["y"] = randn([32, 8]),
        };
        var folder = Directory.CreateTempSubdirectory("aip-adam-").FullName;
        foreach (var (name, value) in inputs)
            File.WriteAllBytes(Path.Combine(folder, name + ".f32"), value.ToArray<float>().SelectMany(BitConverter.GetBytes).ToArray());

        var initial = inputs["w"].ToArray<float>()[0];
        var w = inputs["w"].to(dtype).requires_grad_();
        var b = inputs["b"].to(dtype).requires_grad_();
        Tensor x = inputs["x"].to(dtype), y = inputs["y"].to(dtype);
        using optim.Optimizer optimizer = kind == "adamw"
            ? optim.AdamW([w, b], lr: 0.01, weight_decay: 0.1)
            : optim.Adam([w, b], lr: 0.01, weight_decay: 0.01, amsgrad: kind == "amsgrad");
        for (var step = 0; step < steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(x.matmul(w.permute(1, 0)) + b, y).backward();
            optimizer.step();
        }

        var ours = cat([w.flatten(), b]).to(ScalarType.Float64).ToArray<double>();
        var pytorch = PyTorchScript.Run("adam_steps.py", kind, dtype == ScalarType.Float32 ? "float32" : "float64", steps.ToString(), folder);
        Assert.Equal(pytorch.Length, ours.Length);
        for (var i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - pytorch[i]) <= 1e-5, $"parameter {i}: {ours[i]} here, {pytorch[i]} in PyTorch");
        Assert.True(Math.Abs(ours[0] - initial) > 1e-3, "the optimizer did not move the parameters");
    }
}
