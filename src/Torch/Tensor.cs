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
        fixed (long* s = newShape) return From(Native.aip_tensor_reshape(Handle, s, newShape.Length, 0, out var r), r);
    }

    public Tensor view(params long[] newShape)
    {
        fixed (long* s = newShape) return From(Native.aip_tensor_reshape(Handle, s, newShape.Length, 1, out var r), r);
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

    public Tensor t() => Unary(16);
    public Tensor contiguous() => Unary(15);
    public Tensor clone() => Unary(14);
    public Tensor detach() => Unary(13);

    // ------------------------------------------------------------ math
    public Tensor matmul(Tensor other) => Binary(other, 4);
    public Tensor add(Tensor other) => Binary(other, 0);
    public Tensor sub(Tensor other) => Binary(other, 1);
    public Tensor mul(Tensor other) => Binary(other, 2);
    public Tensor div(Tensor other) => Binary(other, 3);
    public Tensor pow(double exponent) => Scalar(exponent, 11);
    public Tensor eq(Tensor other) => Binary(other, 5);
    public Tensor ne(Tensor other) => Binary(other, 6);
    public Tensor lt(Tensor other) => Binary(other, 7);
    public Tensor le(Tensor other) => Binary(other, 8);
    public Tensor gt(Tensor other) => Binary(other, 9);
    public Tensor ge(Tensor other) => Binary(other, 10);
    public Tensor eq(double other) => Scalar(other, 5);
    public Tensor gt(double other) => Scalar(other, 9);
    public Tensor lt(double other) => Scalar(other, 7);

    public Tensor relu() => Unary(0);
    public Tensor sigmoid() => Unary(1);
    public Tensor tanh() => Unary(2);
    public Tensor exp() => Unary(5);
    public Tensor log() => Unary(6);
    public Tensor abs() => Unary(7);
    public Tensor sqrt() => Unary(8);
    public Tensor sum() => Unary(9);
    public Tensor mean() => Unary(10);
    public Tensor max() => Unary(11);
    public Tensor min() => Unary(12);

    public Tensor softmax(long dim) => Reduce(0, dim, false);
    public Tensor log_softmax(long dim) => Reduce(1, dim, false);
    public Tensor argmax(long dim, bool keepdim = false) => Reduce(2, dim, keepdim);
    public Tensor sum(long dim, bool keepdim = false) => Reduce(3, dim, keepdim);
    public Tensor mean(long dim, bool keepdim = false) => Reduce(4, dim, keepdim);
    public Tensor max(long dim, bool keepdim = false) => Reduce(5, dim, keepdim);

    public static Tensor operator +(Tensor a, Tensor b) => a.Binary(b, 0);
    public static Tensor operator -(Tensor a, Tensor b) => a.Binary(b, 1);
    public static Tensor operator *(Tensor a, Tensor b) => a.Binary(b, 2);
    public static Tensor operator /(Tensor a, Tensor b) => a.Binary(b, 3);
    public static Tensor operator +(Tensor a, double b) => a.Scalar(b, 0);
    public static Tensor operator -(Tensor a, double b) => a.Scalar(b, 1);
    public static Tensor operator *(Tensor a, double b) => a.Scalar(b, 2);
    public static Tensor operator /(Tensor a, double b) => a.Scalar(b, 3);
    public static Tensor operator *(double a, Tensor b) => b.Scalar(a, 2);
    public static Tensor operator -(Tensor a) => a.Unary(4);

    private Tensor Binary(Tensor other, int op) => From(Native.aip_tensor_binary(Handle, other.Handle, op, out var r), r);
    private Tensor Scalar(double other, int op) => From(Native.aip_tensor_binary_scalar(Handle, other, op, out var r), r);
    private Tensor Unary(int op) => From(Native.aip_tensor_unary(Handle, op, out var r), r);
    private Tensor Reduce(int op, long dim, bool keepdim) => From(Native.aip_tensor_reduce_dim(Handle, op, dim, keepdim ? 1 : 0, out var r), r);

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

    internal void Init(int kind, double a, double b) => Native.Check(Native.aip_tensor_init(Handle, kind, a, b));

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
