using Xunit;
using static AiPlatform.Torch.torch;

namespace AiPlatform.Torch.Tests;

/// <summary>
/// The engine's own max-pool kernel (float32, NCHW) must agree with libtorch's, which still serves channels-last
/// tensors: same maxima, same tie-breaking (the first maximum gets the gradient), same NaN propagation.
/// </summary>
public sealed class MaxPoolTests
{
    private const int N = 3, C = 4, H = 9, W = 11;

    [Theory]
    [InlineData(2, 2, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 1)]
    [InlineData(2, 1, 0)]
    [InlineData(3, 3, 0)]
    [InlineData(4, 2, 2)]
    public void Values_and_gradients_match_libtorch(int kernel, int stride, int padding)
    {
        using var scope = NewDisposeScope();
        // Few distinct values, so windows are full of ties; one NaN must propagate.
        var random = new Random(kernel * 100 + stride * 10 + padding);
        var nchw = Enumerable.Range(0, N * C * H * W).Select(_ => (float)random.Next(-2, 3)).ToArray();
        nchw[5] = float.NaN;
        var ours = tensor(nchw, N, C, H, W).requires_grad_();
        var theirs = tensor(ToChannelsLast(nchw), N, H, W, C).permute(0, 3, 1, 2).requires_grad_();

        var pooled = nn.functional.max_pool2d(ours, kernel, stride, padding);
        var reference = nn.functional.max_pool2d(theirs, kernel, stride, padding);
        Assert.Equal(reference.shape, pooled.shape);
        Assert.Equal(reference.contiguous().ToArray<float>(), pooled.ToArray<float>());

        var upstream = randn(pooled.shape);
        (pooled * upstream).sum().backward();
        (reference * upstream).sum().backward();
        Assert.Equal(theirs.grad()!.contiguous().ToArray<float>(), ours.grad()!.ToArray<float>());
    }

    [Fact]
    public void Windows_larger_than_the_input_are_refused_with_libtorch_message()
    {
        using var scope = NewDisposeScope();
        var error = Assert.ThrowsAny<Exception>(() => nn.functional.max_pool2d(ones([1, 1, 2, 2]), 3, 1));
        Assert.Contains("size", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static float[] ToChannelsLast(float[] nchw)
    {
        var nhwc = new float[nchw.Length];
        for (var n = 0; n < N; n++)
        for (var c = 0; c < C; c++)
        for (var h = 0; h < H; h++)
        for (var w = 0; w < W; w++)
            nhwc[((n * H + h) * W + w) * C + c] = nchw[((n * C + c) * H + h) * W + w];
        return nhwc;
    }
}
