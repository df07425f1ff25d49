using System.Reflection;
using System.Runtime.InteropServices;

namespace AiPlatform.Torch;

/// <summary>The libtorch shim's C ABI. Every call that can fail returns non-zero and leaves libtorch's message behind.</summary>
internal static unsafe partial class Native
{
    private const string Library = "aiplatform_torch";

    static Native()
    {
        NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
        var threads = Environment.GetEnvironmentVariable("AIP_TORCH_THREADS") is { } value && int.TryParse(value, out var n) && n > 0
            ? n
            : Environment.ProcessorCount;
        Check(aip_set_num_threads(threads));
    }

    /// <summary>Looks beside this assembly first, then in the repository's build folder (tests and tools run from bin/).</summary>
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        var here = Path.GetDirectoryName(assembly.Location)!;
        var beside = Path.Combine(here, "libaiplatform_torch.so");
        if (File.Exists(beside)) return NativeLibrary.Load(beside);
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            var built = Path.Combine(dir.FullName, "native", "torchshim", "build", "libaiplatform_torch.so");
            if (File.Exists(built)) return NativeLibrary.Load(built);
        }
        return IntPtr.Zero;
    }

    public static void Check(int status)
    {
        if (status != 0) throw new TorchException(Marshal.PtrToStringUTF8(aip_last_error()) ?? "native error");
    }

    [LibraryImport(Library)] public static partial IntPtr aip_last_error();
    [LibraryImport(Library)] public static partial int aip_set_num_threads(int threads);
    [LibraryImport(Library)] public static partial int aip_get_num_threads();
    [LibraryImport(Library)] public static partial int aip_manual_seed(ulong seed);
    [LibraryImport(Library)] public static partial int aip_get_rng_state(out IntPtr state);
    [LibraryImport(Library)] public static partial int aip_set_rng_state(IntPtr state);
    [LibraryImport(Library)] public static partial int aip_set_grad_enabled(int enabled);

    [LibraryImport(Library)] public static partial int aip_tensor_from_data(void* data, long* shape, int ndim, int dtype, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_tensor_arange(long start, long end, int dtype, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_tensor_scalar(double value, int dtype, out IntPtr result);
    [LibraryImport(Library)] public static partial void aip_tensor_free(IntPtr tensor);
    [LibraryImport(Library)] public static partial int aip_tensor_info(IntPtr tensor, out int dtype, out int ndim, long* shape, int maxDims);
    [LibraryImport(Library)] public static partial int aip_tensor_copy_out(IntPtr tensor, void* destination, long bytes);
    [LibraryImport(Library)] public static partial int aip_tensor_item(IntPtr tensor, out double value);
    [LibraryImport(Library)] public static partial int aip_tensor_to_dtype(IntPtr tensor, int dtype, out IntPtr result);

    [LibraryImport(Library)] public static partial int aip_reshape(IntPtr tensor, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_view(IntPtr tensor, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_tensor_permute(IntPtr tensor, long* dims, int ndim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_tensor_flatten(IntPtr tensor, long start, long end, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_tensor_slice(IntPtr tensor, long dim, long start, long end, long step, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_tensor_select(IntPtr tensor, long dim, long index, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_tensor_index_select(IntPtr tensor, long dim, IntPtr index, out IntPtr result);


    [LibraryImport(Library)] public static partial int aip_cat(IntPtr* tensors, int count, long dim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_stack(IntPtr* tensors, int count, long dim, out IntPtr result);

    [LibraryImport(Library)] public static partial int aip_tensor_set_requires_grad(IntPtr tensor, int requires);
    [LibraryImport(Library)] public static partial int aip_tensor_requires_grad(IntPtr tensor);
    [LibraryImport(Library)] public static partial int aip_tensor_backward(IntPtr tensor);
    [LibraryImport(Library)] public static partial int aip_tensor_grad(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_tensor_zero_grad(IntPtr tensor);
    [LibraryImport(Library)] public static partial int aip_tensor_copy_(IntPtr target, IntPtr source);

    [LibraryImport(Library)] public static partial int aip_linear(IntPtr input, IntPtr weight, IntPtr bias, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_conv2d(IntPtr input, IntPtr weight, IntPtr bias, long* stride, long* padding, long* dilation, long groups, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_max_pool2d(IntPtr input, long* kernel, long* stride, long* padding, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_avg_pool2d(IntPtr input, long* kernel, long* stride, long* padding, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_batch_norm(IntPtr input, IntPtr weight, IntPtr bias, IntPtr runningMean, IntPtr runningVar, int training, double momentum, double eps, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_dropout(IntPtr input, double p, int training, out IntPtr result);

    [LibraryImport(Library)] public static partial int aip_sgd_new(IntPtr* parameters, int count, double lr, double momentum, double dampening, double weightDecay, int nesterov, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_adam_new(IntPtr* parameters, int count, double lr, double beta1, double beta2, double eps, double weightDecay, int amsgrad, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_adamw_new(IntPtr* parameters, int count, double lr, double beta1, double beta2, double eps, double weightDecay, int amsgrad, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_optimizer_step(IntPtr optimizer);
    [LibraryImport(Library)] public static partial int aip_optimizer_zero_grad(IntPtr optimizer);
    [LibraryImport(Library)] public static partial int aip_optimizer_set_lr(IntPtr optimizer, double lr);
    [LibraryImport(Library)] public static partial void aip_optimizer_free(IntPtr optimizer);
    [LibraryImport(Library)] public static partial int aip_optimizer_state_save(IntPtr optimizer, out IntPtr buffer, out long length);
    [LibraryImport(Library)] public static partial int aip_optimizer_state_load(IntPtr optimizer, byte* bytes, long length);

    [LibraryImport(Library)] public static partial int aip_state_dict_save(IntPtr* names, IntPtr* tensors, int count, out IntPtr buffer, out long length);
    [LibraryImport(Library)] public static partial void aip_buffer_free(IntPtr buffer);
    [LibraryImport(Library)] public static partial int aip_state_dict_load(byte* bytes, long length, out IntPtr dict, out int count);
    [LibraryImport(Library)] public static partial IntPtr aip_state_dict_name(IntPtr dict, int index);
    [LibraryImport(Library)] public static partial IntPtr aip_state_dict_tensor(IntPtr dict, int index);
    [LibraryImport(Library)] public static partial void aip_state_dict_free(IntPtr dict);
}

/// <summary>An error reported by libtorch (shape mismatch, wrong dtype...), with its message.</summary>
public sealed class TorchException(string message) : Exception(message);
