using AiPlatform.Torch;
using Xunit;
using static AiPlatform.Torch.torch;

namespace AiPlatform.Torch.Tests;

public sealed class TensorTests
{
    [Fact]
    public void Tensors_round_trip_values_and_shapes()
    {
        using var scope = NewDisposeScope();
        var t = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal([2L, 3], t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, t.ToArray<float>());
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, t.permute(1, 0).contiguous().ToArray<float>());
        Assert.Equal([3L, 2], t.reshape(3, 2).shape);
        Assert.Equal(new float[] { 4, 5, 6 }, t[1].ToArray<float>());
        Assert.Equal(new float[] { 4, 5, 6 }, t.slice(1, 2).ToArray<float>());
        Assert.Equal([4L, 3], cat([t, t]).shape);
        Assert.Equal([2L, 2, 3], stack([t, t]).shape);
        Assert.Equal(new long[] { 7, 8 }, tensor(new long[] { 7, 8 }).ToArray<long>());
        Assert.Equal(21f, t.sum().item<float>());
    }

    [Fact]
    public void Arithmetic_matmul_and_reductions_compute_the_right_values()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = tensor(new float[] { 5, 6, 7, 8 }, 2, 2);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, a.matmul(b).ToArray<float>());
        Assert.Equal(new float[] { 6, 8, 10, 12 }, (a + b).ToArray<float>());
        Assert.Equal(new float[] { 2, 4, 6, 8 }, (a * 2).ToArray<float>());
        Assert.Equal(new long[] { 1, 1 }, a.argmax(1).ToArray<long>());
        var softmax = tensor(new float[] { 1, 2, 3 }, 1, 3).softmax(1).ToArray<float>();
        Assert.Equal(1f, softmax.Sum(), 5);
        Assert.True(softmax[2] > softmax[1] && softmax[1] > softmax[0]);
        Assert.Equal(new[] { false, true, true, true }, a.gt(1).ToArray<bool>());
        var logSoftmax = tensor(new float[] { 1, 2, 3 }, 1, 3).log_softmax(1).exp().ToArray<float>();
        Assert.Equal(softmax, logSoftmax, new FloatComparer(1e-5f));
    }

    [Fact]
    public void Autograd_computes_gradients_and_no_grad_stops_tracking()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, -2, 3 }).requires_grad_();
        var y = (x * x).sum() + (x * 3).sum();
        y.backward();
        Assert.Equal(new float[] { 5, -1, 9 }, x.grad()!.ToArray<float>());
        using (no_grad()) Assert.False((x * 2).requires_grad);
        Assert.True((x * 2).requires_grad);
    }

    [Fact]
    public void Bad_input_raises_managed_exceptions_with_libtorch_messages()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var mismatch = Assert.Throws<TorchException>(() => a.matmul(a));
        Assert.Contains("cannot be multiplied", mismatch.Message);
        Assert.Throws<TorchException>(() => a.ToArray<long>());
        Assert.Throws<TorchException>(() => tensor(new float[] { 1, 2, 3 }, 2, 2));
        Assert.Throws<TorchException>(() => nn.functional.cross_entropy(a, tensor(new float[] { 0, 1 })));
        var disposed = tensor(new float[] { 1 });
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => disposed.sum());
        // The process lives on and the engine still works.
        Assert.Equal(21f, a.sum().item<float>());
    }

    [Fact]
    public void Dispose_scopes_release_every_temporary()
    {
        var before = Tensor.LiveCount;
        using (var scope = NewDisposeScope())
        {
            var x = randn([64, 784]);
            for (var i = 0; i < 10; i++) _ = (x * 2 + 1).relu().sum();
            Assert.True(Tensor.LiveCount > before);
        }
        Assert.Equal(before, Tensor.LiveCount);

        Tensor kept;
        using (var scope = NewDisposeScope()) kept = scope.MoveToOuter(ones([3]) * 2);
        Assert.False(kept.IsDisposed);
        kept.Dispose();
        Assert.Equal(before, Tensor.LiveCount);
    }

    private sealed class FloatComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
