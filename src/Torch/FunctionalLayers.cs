namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
        // Activations, normalisation, resampling and the losses beyond classification basics (layers.cpp, ops.cpp).
        public static unsafe partial class functional
        {
            public static Tensor silu(Tensor x) => Tensor.From(Native.aip_silu(x.Handle, out var r), r);

            public static Tensor leaky_relu(Tensor x, double negative_slope = 0.01) =>
                Tensor.From(Native.aip_leaky_relu(x.Handle, negative_slope, out var r), r);

            public static Tensor softplus(Tensor x, double beta = 1, double threshold = 20) =>
                Tensor.From(Native.aip_softplus(x.Handle, beta, threshold, out var r), r);

            /// <summary>Rows of <paramref name="weight"/> at <paramref name="indices"/>; the padding row gets no gradient.</summary>
            public static Tensor embedding(Tensor indices, Tensor weight, long? padding_idx = null) =>
                Tensor.From(Native.aip_embedding(weight.Handle, indices.Handle, padding_idx ?? -1, out var r), r);

            public static Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
            {
                fixed (long* s = normalized_shape)
                    return Tensor.From(Native.aip_layer_norm(input.Handle, s, normalized_shape.Length, weight?.Handle ?? IntPtr.Zero,
                        bias?.Handle ?? IntPtr.Zero, eps, out var r), r);
            }

            public static Tensor group_norm(Tensor input, long num_groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
                Tensor.From(Native.aip_group_norm(input.Handle, num_groups, weight?.Handle ?? IntPtr.Zero, bias?.Handle ?? IntPtr.Zero, eps, out var r), r);

            public static Tensor conv1d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long dilation = 1, long groups = 1) =>
                Tensor.From(Native.aip_conv1d(input.Handle, weight.Handle, bias?.Handle ?? IntPtr.Zero, stride, padding, dilation, groups, out var r), r);

            public static Tensor adaptive_avg_pool2d(Tensor input, long height, long width) =>
                Tensor.From(Native.aip_adaptive_avg_pool2d(input.Handle, height, width, out var r), r);

            /// <summary>
            /// Resizes [N, C, H, W] to <paramref name="size"/> or by <paramref name="scale_factor"/> (one of the two), with
            /// <paramref name="mode"/> "nearest" or "bilinear", as <c>F.interpolate</c>.
            /// </summary>
            public static Tensor interpolate(Tensor input, long[]? size = null, double[]? scale_factor = null, string mode = "nearest",
                bool? align_corners = null)
            {
                if ((size is null) == (scale_factor is null)) throw new TorchException("interpolate takes either size or scale_factor");
                var inputShape = input.shape;
                if (inputShape.Length != 4) throw new TorchException($"interpolate expects [N, C, H, W], got [{string.Join(", ", inputShape)}]");
                var scales = scale_factor is { Length: 1 } ? [scale_factor[0], scale_factor[0]] : scale_factor;
                var (height, width) = size is not null
                    ? (size[0], size.Length > 1 ? size[1] : size[0])
                    : ((long)Math.Floor(inputShape[2] * scales![0]), (long)Math.Floor(inputShape[3] * scales[1]));
                double scaleH = scales?[0] ?? 0, scaleW = scales?[1] ?? 0;
                return mode switch
                {
                    "nearest" when align_corners is not null => throw new TorchException("align_corners applies to bilinear interpolation only"),
                    "nearest" => Tensor.From(Native.aip_upsample_nearest2d(input.Handle, height, width, scaleH, scaleW, out var r), r),
                    "bilinear" => Tensor.From(Native.aip_upsample_bilinear2d(input.Handle, height, width, align_corners == true ? 1 : 0, scaleH, scaleW,
                        out var r), r),
                    _ => throw new TorchException($"interpolation mode '{mode}' is not supported (nearest, bilinear)"),
                };
            }

            public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean,
                Tensor? weight = null, Tensor? pos_weight = null) =>
                Tensor.From(Native.aip_binary_cross_entropy_with_logits(input.Handle, target.Handle, weight?.Handle ?? IntPtr.Zero,
                    pos_weight?.Handle ?? IntPtr.Zero, ReductionCode(reduction), out var r), r);

            /// <summary>Binary cross entropy of probabilities in [0, 1] (after a sigmoid).</summary>
            public static Tensor binary_cross_entropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? weight = null) =>
                Tensor.From(Native.aip_binary_cross_entropy(input.Handle, target.Handle, weight?.Handle ?? IntPtr.Zero, ReductionCode(reduction), out var r), r);

            public static Tensor smooth_l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0) =>
                Tensor.From(Native.aip_smooth_l1_loss(input.Handle, target.Handle, ReductionCode(reduction), beta, out var r), r);

            /// <summary>KL divergence of <paramref name="target"/> from log-probabilities <paramref name="input"/>; BatchMean gives its true value.</summary>
            public static Tensor kl_div(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool log_target = false)
            {
                if (reduction != Reduction.BatchMean)
                    return Tensor.From(Native.aip_kl_div(input.Handle, target.Handle, ReductionCode(reduction), log_target ? 1 : 0, out var r), r);
                using var sum = Tensor.From(Native.aip_kl_div(input.Handle, target.Handle, (int)Reduction.Sum, log_target ? 1 : 0, out var s), s);
                return sum / input.size(0);
            }
        }
    }
}
