using System.Runtime.InteropServices;

namespace AiPlatform.Torch;

/// <summary>
/// A libtorch tensor. Its native memory is freed by <see cref="Dispose"/>, by the enclosing <see cref="DisposeScope"/>,
/// or, as a last resort, by the finalizer.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    private static long _live;
    private IntPtr _handle;

    internal Tensor(IntPtr handle)
    {
        _handle = handle;
        Interlocked.Increment(ref _live);
        DisposeScope.Track(this);
    }

    ~Tensor() => Free();

    /// <summary>Tensors whose native memory has not been released: for tests and leak hunting.</summary>
    public static long LiveCount => Interlocked.Read(ref _live);

    public bool IsDisposed => _handle == IntPtr.Zero;

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Tensor), "the tensor has been disposed");

    internal static Tensor From(int status, IntPtr result)
    {
        Native.Check(status);
        return new Tensor(result);
    }

    public ScalarType dtype => Info().DType;

    public long[] shape => Info().Shape;

    public long dim() => Info().Shape.Length;

    public long size(int dimension)
    {
        var s = shape;
        return s[dimension < 0 ? s.Length + dimension : dimension];
    }

    public long numel() => shape.Aggregate(1L, (a, b) => a * b);

    private (ScalarType DType, long[] Shape) Info()
    {
        var dims = stackalloc long[16];
        Native.Check(Native.aip_tensor_info(Handle, out var dtype, out var ndim, dims, 16));
        return ((ScalarType)dtype, new ReadOnlySpan<long>(dims, ndim).ToArray());
    }

    // ------------------------------------------------------------ data out
    public T[] ToArray<T>() where T : unmanaged
    {
        if (ScalarTypes.Of<T>() != dtype) throw new TorchException($"tensor is {dtype}, not {typeof(T).Name}");
        var result = new T[numel()];
        fixed (T* destination = result) Native.Check(Native.aip_tensor_copy_out(Handle, destination, (long)result.Length * sizeof(T)));
        return result;
    }

    public T item<T>() where T : unmanaged
    {
        Native.Check(Native.aip_tensor_item(Handle, out var value));
        return typeof(T) == typeof(bool) ? (T)(object)(value != 0) : (T)Convert.ChangeType(value, typeof(T));
    }

    public Tensor to(ScalarType type) => From(Native.aip_tensor_to_dtype(Handle, (int)type, out var r), r);

    // ------------------------------------------------------------ shape
    public Tensor reshape(params long[] newShape)
    {
        fixed (long* s = newShape) return From(Native.aip_reshape(Handle, s, newShape.Length, out var r), r);
    }

    public Tensor view(params long[] newShape)
    {
        fixed (long* s = newShape) return From(Native.aip_view(Handle, s, newShape.Length, out var r), r);
    }

    public Tensor permute(params long[] dims)
    {
        fixed (long* d = dims) return From(Native.aip_tensor_permute(Handle, d, dims.Length, out var r), r);
    }

    public Tensor flatten(long startDim = 0, long endDim = -1) => From(Native.aip_tensor_flatten(Handle, startDim, endDim, out var r), r);

    /// <summary>Rows <paramref name="start"/> to <paramref name="end"/> (exclusive) along the first dimension, sharing memory.</summary>
    public Tensor slice(long start, long end, long step = 1, long dimension = 0) =>
        From(Native.aip_tensor_slice(Handle, dimension, start, end, step, out var r), r);

    public Tensor this[long index] => From(Native.aip_tensor_select(Handle, 0, index, out var r), r);

    public Tensor index_select(long dimension, Tensor index) => From(Native.aip_tensor_index_select(Handle, dimension, index.Handle, out var r), r);

    public Tensor t() => Unary(&Native.aip_t);
    public Tensor contiguous() => Unary(&Native.aip_contiguous);
    public Tensor clone() => Unary(&Native.aip_clone);
    public Tensor detach() => Unary(&Native.aip_detach);

    // ------------------------------------------------------------ math
    public Tensor matmul(Tensor other) => Binary(&Native.aip_matmul, other);
    public Tensor add(Tensor other) => Binary(&Native.aip_add, other);
    public Tensor sub(Tensor other) => Binary(&Native.aip_sub, other);
    public Tensor mul(Tensor other) => Binary(&Native.aip_mul, other);
    public Tensor div(Tensor other) => Binary(&Native.aip_div, other);
    public Tensor pow(double exponent) => Scalar(&Native.aip_pow_scalar, exponent);
    public Tensor eq(Tensor other) => Binary(&Native.aip_eq, other);
    public Tensor ne(Tensor other) => Binary(&Native.aip_ne, other);
    public Tensor lt(Tensor other) => Binary(&Native.aip_lt, other);
    public Tensor le(Tensor other) => Binary(&Native.aip_le, other);
    public Tensor gt(Tensor other) => Binary(&Native.aip_gt, other);
    public Tensor ge(Tensor other) => Binary(&Native.aip_ge, other);
    public Tensor eq(double other) => Scalar(&Native.aip_eq_scalar, other);
    public Tensor gt(double other) => Scalar(&Native.aip_gt_scalar, other);
    public Tensor lt(double other) => Scalar(&Native.aip_lt_scalar, other);

    public Tensor relu() => Unary(&Native.aip_relu);
    public Tensor sigmoid() => Unary(&Native.aip_sigmoid);
    public Tensor tanh() => Unary(&Native.aip_tanh);
    public Tensor exp() => Unary(&Native.aip_exp);
    public Tensor log() => Unary(&Native.aip_log);
    public Tensor abs() => Unary(&Native.aip_abs);
    public Tensor sqrt() => Unary(&Native.aip_sqrt);
    public Tensor sum() => Unary(&Native.aip_sum);
    public Tensor mean() => Unary(&Native.aip_mean);
    public Tensor max() => Unary(&Native.aip_max);
    public Tensor min() => Unary(&Native.aip_min);

    public Tensor softmax(long dim) => Along(&Native.aip_softmax, dim, false);
    public Tensor log_softmax(long dim) => Along(&Native.aip_log_softmax, dim, false);
    public Tensor argmax(long dim, bool keepdim = false) => Along(&Native.aip_argmax, dim, keepdim);
    public Tensor sum(long dim, bool keepdim = false) => Along(&Native.aip_sum_dim, dim, keepdim);
    public Tensor mean(long dim, bool keepdim = false) => Along(&Native.aip_mean_dim, dim, keepdim);
    public Tensor max(long dim, bool keepdim = false) => Along(&Native.aip_max_dim, dim, keepdim);

    public static Tensor operator +(Tensor a, Tensor b) => a.Binary(&Native.aip_add, b);
    public static Tensor operator -(Tensor a, Tensor b) => a.Binary(&Native.aip_sub, b);
    public static Tensor operator *(Tensor a, Tensor b) => a.Binary(&Native.aip_mul, b);
    public static Tensor operator /(Tensor a, Tensor b) => a.Binary(&Native.aip_div, b);
    public static Tensor operator +(Tensor a, double b) => a.Scalar(&Native.aip_add_scalar, b);
    public static Tensor operator -(Tensor a, double b) => a.Scalar(&Native.aip_sub_scalar, b);
    public static Tensor operator *(Tensor a, double b) => a.Scalar(&Native.aip_mul_scalar, b);
    public static Tensor operator /(Tensor a, double b) => a.Scalar(&Native.aip_div_scalar, b);
    public static Tensor operator *(double a, Tensor b) => b.Scalar(&Native.aip_mul_scalar, a);
    public static Tensor operator -(Tensor a) => a.Unary(&Native.aip_neg);

    // Each operation is its own native export, passed in by address: no operation numbers shared with C++.
    private Tensor Binary(delegate*<IntPtr, IntPtr, out IntPtr, int> op, Tensor other) => From(op(Handle, other.Handle, out var r), r);
    private Tensor Scalar(delegate*<IntPtr, double, out IntPtr, int> op, double other) => From(op(Handle, other, out var r), r);
    private Tensor Unary(delegate*<IntPtr, out IntPtr, int> op) => From(op(Handle, out var r), r);
    private Tensor Along(delegate*<IntPtr, long, int, out IntPtr, int> op, long dim, bool keepdim) => From(op(Handle, dim, keepdim ? 1 : 0, out var r), r);

    // ------------------------------------------------------------ autograd
    public bool requires_grad
    {
        get => Native.aip_tensor_requires_grad(Handle) != 0;
        set => Native.Check(Native.aip_tensor_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool requires = true)
    {
        requires_grad = requires;
        return this;
    }

    public void backward() => Native.Check(Native.aip_tensor_backward(Handle));

    /// <summary>The accumulated gradient, or null before any backward pass.</summary>
    public Tensor? grad()
    {
        Native.Check(Native.aip_tensor_grad(Handle, out var r));
        return r == IntPtr.Zero ? null : new Tensor(r);
    }

    internal void ZeroGrad() => Native.Check(Native.aip_tensor_zero_grad(Handle));

    /// <summary>Copies <paramref name="source"/>'s values into this tensor in place, outside autograd.</summary>
    public Tensor copy_(Tensor source)
    {
        Native.Check(Native.aip_tensor_copy_(Handle, source.Handle));
        return this;
    }

    /// <summary>Fills this tensor in place from U(<paramref name="low"/>, <paramref name="high"/>), outside autograd.</summary>
    public Tensor uniform_(double low = 0, double high = 1)
    {
        Native.Check(Native.aip_uniform_(Handle, low, high));
        return this;
    }

    /// <summary>Fills this tensor in place from N(<paramref name="mean"/>, <paramref name="std"/>²), outside autograd.</summary>
    public Tensor normal_(double mean = 0, double std = 1)
    {
        Native.Check(Native.aip_normal_(Handle, mean, std));
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/> in place, outside autograd.</summary>
    public Tensor fill_(double value)
    {
        Native.Check(Native.aip_fill_(Handle, value));
        return this;
    }

    public override string ToString() => IsDisposed ? "tensor(disposed)" : $"tensor({dtype}, [{string.Join(", ", shape)}])";

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle == IntPtr.Zero) return;
        Native.aip_tensor_free(handle);
        Interlocked.Decrement(ref _live);
    }
}
