using System.Runtime.InteropServices;

namespace AiPlatform.Torch;

// One named export per operation (ops.cpp, layers.cpp): a renamed or missing export fails loudly at the call.
internal static unsafe partial class Native
{
    [LibraryImport(Library)] public static partial int aip_where(IntPtr condition, IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_masked_fill(IntPtr tensor, IntPtr mask, double value, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_gather(IntPtr tensor, long dim, IntPtr index, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_scatter(IntPtr tensor, long dim, IntPtr index, IntPtr source, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_scatter_add(IntPtr tensor, long dim, IntPtr index, IntPtr source, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_topk(IntPtr tensor, long k, long dim, int largest, int sorted, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] public static partial int aip_cumsum(IntPtr tensor, long dim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_bmm(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int aip_einsum(string equation, IntPtr* tensors, int count, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_transpose(IntPtr tensor, long dim0, long dim1, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_unsqueeze(IntPtr tensor, long dim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_squeeze_dim(IntPtr tensor, long dim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_expand(IntPtr tensor, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_logical_or(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_logical_not(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_silu(IntPtr tensor, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_leaky_relu(IntPtr tensor, double negativeSlope, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_softplus(IntPtr tensor, double beta, double threshold, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_clip_grad_norm(IntPtr* parameters, int count, double maxNorm, double normType, out double totalNorm);

    [LibraryImport(Library)] public static partial int aip_embedding(IntPtr weight, IntPtr indices, long paddingIdx, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_layer_norm(IntPtr input, long* shape, int ndim, IntPtr weight, IntPtr bias, double eps, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_group_norm(IntPtr input, long groups, IntPtr weight, IntPtr bias, double eps, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_conv1d(IntPtr input, IntPtr weight, IntPtr bias, long stride, long padding, long dilation, long groups, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_adaptive_avg_pool2d(IntPtr input, long height, long width, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_upsample_nearest2d(IntPtr input, long height, long width, double scaleH, double scaleW, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_upsample_bilinear2d(IntPtr input, long height, long width, int alignCorners, double scaleH, double scaleW, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_lstm(IntPtr input, IntPtr h0, IntPtr c0, IntPtr* parameters, int count, int hasBiases, long numLayers, double dropout, int train, int bidirectional, int batchFirst, out IntPtr output, out IntPtr hn, out IntPtr cn);
    [LibraryImport(Library)] public static partial int aip_gru(IntPtr input, IntPtr h0, IntPtr* parameters, int count, int hasBiases, long numLayers, double dropout, int train, int bidirectional, int batchFirst, out IntPtr output, out IntPtr hn);

    [LibraryImport(Library)] public static partial int aip_cross_entropy(IntPtr input, IntPtr target, IntPtr weight, int reduction, long ignoreIndex, double labelSmoothing, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_nll_loss(IntPtr input, IntPtr target, IntPtr weight, int reduction, long ignoreIndex, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_mse_loss(IntPtr input, IntPtr target, int reduction, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_binary_cross_entropy_with_logits(IntPtr input, IntPtr target, IntPtr weight, IntPtr posWeight, int reduction, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_binary_cross_entropy(IntPtr input, IntPtr target, IntPtr weight, int reduction, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_smooth_l1_loss(IntPtr input, IntPtr target, int reduction, double beta, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_kl_div(IntPtr input, IntPtr target, int reduction, int logTarget, out IntPtr result);

    [LibraryImport(Library)] public static partial int aip_rmsprop_new(IntPtr* parameters, int count, double lr, double alpha, double eps, double weightDecay, double momentum, int centered, out IntPtr result);
    [LibraryImport(Library)] public static partial int aip_optimizer_set_momentum(IntPtr optimizer, double momentum);
}
