using System.Runtime.InteropServices;

namespace AiPlatform.Torch;

// tensor_math.cpp: creation, initialisation, arithmetic, comparisons, elementwise functions and reductions, one export each.
internal static unsafe partial class Native
{
    [LibraryImport(Library)] public static partial int aip_zeros(long* shape, int ndim, int dtype, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_ones(long* shape, int ndim, int dtype, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_randn(long* shape, int ndim, int dtype, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_rand(long* shape, int ndim, int dtype, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_empty(long* shape, int ndim, int dtype, out IntPtr result);

    [LibraryImport(Library)] public static partial int aip_uniform_(IntPtr tensor, double low, double high);
    [LibraryImport(Library)] public static partial int aip_normal_(IntPtr tensor, double mean, double std);
    [LibraryImport(Library)] public static partial int aip_fill_(IntPtr tensor, double value);

    [LibraryImport(Library)] public static partial int aip_add(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_sub(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_mul(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_div(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_matmul(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_eq(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_ne(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_lt(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_le(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_gt(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_ge(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_pow(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_maximum(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_minimum(IntPtr a, IntPtr b, out IntPtr result);

    [LibraryImport(Library)] public static partial int aip_add_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_sub_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_mul_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_div_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_eq_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_ne_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_lt_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_le_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_gt_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_ge_scalar(IntPtr a, double b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_pow_scalar(IntPtr a, double b, out IntPtr result);

    [LibraryImport(Library)] public static partial int aip_relu(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_sigmoid(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_tanh(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_gelu(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_neg(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_exp(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_log(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_abs(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_sqrt(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_sum(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_mean(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_max(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_min(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_detach(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_clone(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_contiguous(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_t(IntPtr tensor, out IntPtr result);

    [LibraryImport(Library)] public static partial int aip_softmax(IntPtr tensor, long dim, int keepdim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_log_softmax(IntPtr tensor, long dim, int keepdim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_argmax(IntPtr tensor, long dim, int keepdim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_sum_dim(IntPtr tensor, long dim, int keepdim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_mean_dim(IntPtr tensor, long dim, int keepdim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_max_dim(IntPtr tensor, long dim, int keepdim, out IntPtr result);
}
