namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
        public enum Reduction
        {
            None = 0,
            Mean = 1,
            Sum = 2,

            /// <summary>The sum divided by the batch size: KL divergence's true value (kl_div only).</summary>
            BatchMean = 3,
        }

        public static unsafe partial class functional
        {
            public static Tensor relu(Tensor x) => x.relu();
            public static Tensor gelu(Tensor x) => Tensor.From(Native.aip_gelu(x.Handle, out var r), r);
            public static Tensor sigmoid(Tensor x) => x.sigmoid();
            public static Tensor tanh(Tensor x) => x.tanh();
            public static Tensor softmax(Tensor x, long dim) => x.softmax(dim);
            public static Tensor log_softmax(Tensor x, long dim) => x.log_softmax(dim);

            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) =>
                Tensor.From(Native.aip_linear(input.Handle, weight.Handle, bias?.Handle ?? IntPtr.Zero, out var r), r);

            public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups = 1)
            {
                fixed (long* s = stride)
                fixed (long* p = padding)
                fixed (long* d = dilation)
                    return Tensor.From(Native.aip_conv2d(input.Handle, weight.Handle, bias?.Handle ?? IntPtr.Zero, s, p, d, groups, out var r), r);
            }

            public static Tensor max_pool2d(Tensor input, long kernelSize, long stride, long padding = 0) => Pool(&Native.aip_max_pool2d, input, kernelSize, stride, padding);

            public static Tensor avg_pool2d(Tensor input, long kernelSize, long stride, long padding = 0) => Pool(&Native.aip_avg_pool2d, input, kernelSize, stride, padding);

            private static Tensor Pool(delegate*<IntPtr, long*, long*, long*, out IntPtr, int> pool, Tensor input, long kernelSize, long stride, long padding)
            {
                var k = stackalloc long[] { kernelSize, kernelSize };
                var s = stackalloc long[] { stride, stride };
                var p = stackalloc long[] { padding, padding };
                return Tensor.From(pool(input.Handle, k, s, p, out var r), r);
            }

            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true) =>
                Tensor.From(Native.aip_dropout(input.Handle, p, training ? 1 : 0, out var r), r);

            /// <summary>
            /// Cross entropy of raw logits [N, C] (or [N, C, d...]) against class indices (int64) or class probabilities;
            /// targets equal to <paramref name="ignore_index"/> count for nothing, <paramref name="label_smoothing"/> mixes
            /// the target with the uniform distribution.
            /// </summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, long ignore_index = -100,
                double label_smoothing = 0, Tensor? weight = null) =>
                Tensor.From(Native.aip_cross_entropy(input.Handle, target.Handle, weight?.Handle ?? IntPtr.Zero, ReductionCode(reduction), ignore_index,
                    label_smoothing, out var r), r);

            public static Tensor nll_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, long ignore_index = -100, Tensor? weight = null) =>
                Tensor.From(Native.aip_nll_loss(input.Handle, target.Handle, weight?.Handle ?? IntPtr.Zero, ReductionCode(reduction), ignore_index, out var r), r);

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Tensor.From(Native.aip_mse_loss(input.Handle, target.Handle, ReductionCode(reduction), out var r), r);

            /// <summary>The reduction as libtorch numbers it; batch-mean belongs to <see cref="kl_div"/> alone.</summary>
            internal static int ReductionCode(Reduction reduction) => reduction == Reduction.BatchMean
                ? throw new TorchException("Reduction.BatchMean applies to kl_div only")
                : (int)reduction;
        }
    }
}
