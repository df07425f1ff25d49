using System.Runtime.InteropServices;

namespace AiPlatform.Torch;

/// <summary>The entry point, shaped like TorchSharp's: <c>using static AiPlatform.Torch.torch;</c>.</summary>
public static unsafe partial class torch
{
    public static readonly ScalarType float32 = ScalarType.Float32;
    public static readonly ScalarType float64 = ScalarType.Float64;
    public static readonly ScalarType int64 = ScalarType.Int64;
    public static readonly ScalarType @bool = ScalarType.Bool;

    /// <summary>Copies the values once into a new native tensor of the given shape (the span need not outlive the call).</summary>
    public static Tensor tensor<T>(ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        if (shape.Length == 0) shape = [data.Length];
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length) throw new TorchException($"shape [{string.Join(", ", shape)}] needs {count} values, got {data.Length}");
        fixed (T* values = data)
        fixed (long* dims = shape)
            return Tensor.From(Native.aip_tensor_from_data(values, dims, shape.Length, (int)ScalarTypes.Of<T>(), out var r), r);
    }

    public static Tensor tensor<T>(T[] data, params long[] shape) where T : unmanaged => tensor((ReadOnlySpan<T>)data, shape);

    public static Tensor tensor(double value, ScalarType dtype = ScalarType.Float32) =>
        Tensor.From(Native.aip_tensor_scalar(value, (int)dtype, out var r), r);

    public static Tensor zeros(long[] shape, ScalarType dtype = ScalarType.Float32) => Create(&Native.aip_zeros, shape, dtype);
    public static Tensor ones(long[] shape, ScalarType dtype = ScalarType.Float32) => Create(&Native.aip_ones, shape, dtype);
    public static Tensor randn(long[] shape, ScalarType dtype = ScalarType.Float32) => Create(&Native.aip_randn, shape, dtype);
    public static Tensor rand(long[] shape, ScalarType dtype = ScalarType.Float32) => Create(&Native.aip_rand, shape, dtype);
    public static Tensor empty(long[] shape, ScalarType dtype = ScalarType.Float32) => Create(&Native.aip_empty, shape, dtype);

    public static Tensor arange(long start, long end, ScalarType dtype = ScalarType.Int64) =>
        Tensor.From(Native.aip_tensor_arange(start, end, (int)dtype, out var r), r);

    private static Tensor Create(delegate*<long*, int, int, out IntPtr, int> create, long[] shape, ScalarType dtype)
    {
        fixed (long* dims = shape) return Tensor.From(create(dims, shape.Length, (int)dtype, out var r), r);
    }

    public static Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(&Native.aip_cat, tensors, dim);
    public static Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(&Native.aip_stack, tensors, dim);

    private static Tensor Join(delegate*<IntPtr*, int, long, out IntPtr, int> join, IReadOnlyList<Tensor> tensors, long dim)
    {
        var handles = tensors.Select(t => t.Handle).ToArray();
        fixed (IntPtr* h = handles) return Tensor.From(join(h, handles.Length, dim, out var r), r);
    }

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor argmax(Tensor t, long dim) => t.argmax(dim);
    public static Tensor softmax(Tensor t, long dim) => t.softmax(dim);
    public static Tensor log_softmax(Tensor t, long dim) => t.log_softmax(dim);

    public static DisposeScope NewDisposeScope() => new();

    /// <summary>Turns autograd off until disposed, as <c>with torch.no_grad():</c>.</summary>
    public static IDisposable no_grad() => new GradMode(enabled: false);

    public static IDisposable enable_grad() => new GradMode(enabled: true);

    public static void manual_seed(ulong seed) => Native.Check(Native.aip_manual_seed(seed));

    /// <summary>The default generator's state as a byte tensor, as <c>torch.get_rng_state()</c>; a checkpoint keeps it.</summary>
    public static Tensor get_rng_state()
    {
        Native.Check(Native.aip_get_rng_state(out var state));
        return new Tensor(state);
    }

    /// <summary>Restores a state from <see cref="get_rng_state"/>: the draws that follow are the ones that followed then.</summary>
    public static void set_rng_state(Tensor state) => Native.Check(Native.aip_set_rng_state(state.Handle));

    public static void set_num_threads(int threads) => Native.Check(Native.aip_set_num_threads(threads));

    public static int get_num_threads() => Native.aip_get_num_threads();

    /// <summary>
    /// libtorch's grad mode belongs to a thread. A scope that ends on another thread (an await inside it) would leave
    /// the first thread without autograd, so that is an error, reported where it happens.
    /// </summary>
    private sealed class GradMode : IDisposable
    {
        private readonly int _previous;
        private readonly int _thread = Environment.CurrentManagedThreadId;

        public GradMode(bool enabled) => _previous = Native.aip_set_grad_enabled(enabled ? 1 : 0);

        public void Dispose()
        {
            if (Environment.CurrentManagedThreadId != _thread)
                throw new InvalidOperationException("a no_grad()/enable_grad() scope must end on the thread it began on: do not await inside it");
            Native.aip_set_grad_enabled(_previous);
        }
    }

    /// <summary>Writes a state dict in PyTorch's format: <c>torch.load</c> in Python reads it back as a dict of tensors.</summary>
    public static byte[] save(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var names = stateDict.Keys.Select(k => Marshal.StringToCoTaskMemUTF8(k)).ToArray();
        var handles = stateDict.Values.Select(t => t.Handle).ToArray();
        IntPtr buffer;
        long length;
        try
        {
            fixed (IntPtr* n = names)
            fixed (IntPtr* h = handles)
                Native.Check(Native.aip_state_dict_save(n, h, names.Length, out buffer, out length));
        }
        finally
        {
            foreach (var name in names) Marshal.FreeCoTaskMem(name);
        }
        return TakeBuffer(buffer, length);
    }

    /// <summary>Copies a buffer the shim allocated into managed memory and frees it.</summary>
    internal static byte[] TakeBuffer(IntPtr buffer, long length)
    {
        try
        {
            return new ReadOnlySpan<byte>((void*)buffer, checked((int)length)).ToArray();
        }
        finally
        {
            Native.aip_buffer_free(buffer);
        }
    }

    /// <summary>Reads a state dict saved by <see cref="save"/> or by Python's <c>torch.save(dict(model.state_dict()))</c>.</summary>
    public static Dictionary<string, Tensor> load(ReadOnlySpan<byte> bytes)
    {
        IntPtr dict;
        int count;
        fixed (byte* data = bytes) Native.Check(Native.aip_state_dict_load(data, bytes.Length, out dict, out count));
        try
        {
            var result = new Dictionary<string, Tensor>(count);
            for (var i = 0; i < count; i++)
                result[Marshal.PtrToStringUTF8(Native.aip_state_dict_name(dict, i))!] = new Tensor(Native.aip_state_dict_tensor(dict, i));
            return result;
        }
        finally
        {
            Native.aip_state_dict_free(dict);
        }
    }
}
