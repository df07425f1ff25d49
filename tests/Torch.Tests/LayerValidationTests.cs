using Xunit;
using static AiPlatform.Torch.torch;

namespace AiPlatform.Torch.Tests;

/// <summary>Misuse of the new layers fails with a message that names the problem, and the engine keeps working.</summary>
public sealed class LayerValidationTests
{
    [Fact]
    public void Attention_masks_of_the_wrong_shape_are_refused()
    {
        using var scope = NewDisposeScope();
        using var attention = new nn.MultiheadAttention(8, 2);
        var x = randn([5, 3, 8]);
        var mask = Assert.Throws<TorchException>(() => attention.forward(x, x, x, attn_mask: zeros([4, 5], ScalarType.Bool)));
        Assert.Contains("attn_mask has shape [4, 5], expected [5, 5]", mask.Message);
        var padding = Assert.Throws<TorchException>(() => attention.forward(x, x, x, key_padding_mask: zeros([5, 3], ScalarType.Bool)));
        Assert.Contains("key_padding_mask has shape [5, 3], expected [3, 5]", padding.Message);
        Assert.Throws<TorchException>(() => new nn.MultiheadAttention(10, 3));
        Assert.Equal([5L, 3, 8], attention.forward(x).shape);
    }

    [Fact]
    public void Layers_refuse_inputs_and_settings_PyTorch_refuses()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<TorchException>(() => new nn.GroupNorm(4, 6));
        using var lstm = new nn.LSTM(4, 3);
        Assert.Contains("3-d input", Assert.Throws<TorchException>(() => lstm.forward(randn([5, 4]))).Message);
        using var conv = new nn.Conv1d(4, 2, 3);
        Assert.Throws<TorchException>(() => conv.forward(randn([2, 5, 9])));  // 5 channels where 4 are expected: libtorch's message
        var image = randn([1, 2, 4, 4]);
        Assert.Throws<TorchException>(() => nn.functional.interpolate(image, size: [8, 8], scale_factor: [2]));
        Assert.Throws<TorchException>(() => nn.functional.interpolate(image, scale_factor: [2], mode: "bicubic"));
        Assert.Throws<TorchException>(() => nn.functional.mse_loss(image, image, nn.Reduction.BatchMean));
        Assert.Equal([1L, 2, 8, 8], nn.functional.interpolate(image, scale_factor: [2]).shape);
    }

    [Fact]
    public void Encoder_layers_start_as_copies_of_the_layer_given()
    {
        using var encoder = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, dim_feedforward: 16), 3);
        var state = encoder.state_dict();
        Assert.Equal(3 * 12, state.Count);
        foreach (var name in state.Keys.Where(k => k.StartsWith("layers.0.")))
        {
            var first = state[name].ToArray<float>();
            Assert.Equal(first, state[name.Replace("layers.0.", "layers.2.")].ToArray<float>());
            Assert.NotSame(state[name], state[name.Replace("layers.0.", "layers.1.")]);
        }
    }
}
