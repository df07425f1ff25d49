namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A lookup table of <paramref name="num_embeddings"/> vectors; weights start N(0, 1), the padding row at zero.</summary>
        public sealed class Embedding : Module
        {
            public readonly Tensor weight;
            private readonly long? _paddingIdx;

            public Embedding(long num_embeddings, long embedding_dim, long? padding_idx = null)
            {
                if (padding_idx < 0) padding_idx += num_embeddings;
                _paddingIdx = padding_idx;
                var initial = empty([num_embeddings, embedding_dim]);
                initial.normal_();
                if (padding_idx is { } row)
                    using (var padding = initial[row])
                        padding.fill_(0);
                weight = register_parameter("weight", initial);
            }

            public override Tensor forward(Tensor input) => functional.embedding(input, weight, _paddingIdx);
        }

        /// <summary>Normalises over the last dimensions (<paramref name="normalized_shape"/>) of each sample.</summary>
        public sealed class LayerNorm : Module
        {
            public readonly Tensor? weight, bias;
            private readonly long[] _shape;
            private readonly double _eps;

            public LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true)
            {
                _shape = normalized_shape;
                _eps = eps;
                if (!elementwise_affine) return;
                weight = register_parameter("weight", ones(normalized_shape));
                bias = register_parameter("bias", zeros(normalized_shape));
            }

            public LayerNorm(long normalized_shape, double eps = 1e-5, bool elementwise_affine = true) : this([normalized_shape], eps, elementwise_affine) { }

            public override Tensor forward(Tensor input) => functional.layer_norm(input, _shape, weight, bias, _eps);
        }

        /// <summary>Normalises [N, C, ...] over groups of channels; the affine weights are per channel.</summary>
        public sealed class GroupNorm : Module
        {
            public readonly Tensor? weight, bias;
            private readonly long _groups;
            private readonly double _eps;

            public GroupNorm(long num_groups, long num_channels, double eps = 1e-5, bool affine = true)
            {
                if (num_channels % num_groups != 0) throw new TorchException($"{num_channels} channels do not split into {num_groups} groups");
                _groups = num_groups;
                _eps = eps;
                if (!affine) return;
                weight = register_parameter("weight", ones([num_channels]));
                bias = register_parameter("bias", zeros([num_channels]));
            }

            public override Tensor forward(Tensor input) => functional.group_norm(input, _groups, weight, bias, _eps);
        }

        public sealed class Conv1d : Module
        {
            public readonly Tensor weight;
            public readonly Tensor? bias;
            private readonly long _stride, _padding, _dilation, _groups;

            public Conv1d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1,
                long groups = 1, bool hasBias = true)
            {
                (_stride, _padding, _dilation, _groups) = (stride, padding, dilation, groups);
                var bound = 1.0 / Math.Sqrt(inChannels / groups * kernelSize);
                weight = register_parameter("weight", Uniform([outChannels, inChannels / groups, kernelSize], bound));
                if (hasBias) bias = register_parameter("bias", Uniform([outChannels], bound));
            }

            public override Tensor forward(Tensor input) => functional.conv1d(input, weight, bias, _stride, _padding, _dilation, _groups);
        }

        public sealed class AdaptiveAvgPool2d(long height, long width) : Module
        {
            public AdaptiveAvgPool2d(long size) : this(size, size) { }

            public override Tensor forward(Tensor input) => functional.adaptive_avg_pool2d(input, height, width);
        }

        /// <summary>Resizes images to a size or by a scale factor, "nearest" or "bilinear", as <c>nn.Upsample</c>.</summary>
        public sealed class Upsample(long[]? size = null, double[]? scale_factor = null, string mode = "nearest", bool? align_corners = null) : Module
        {
            public override Tensor forward(Tensor input) => functional.interpolate(input, size, scale_factor, mode, align_corners);
        }

        public sealed class SiLU : Module
        {
            public override Tensor forward(Tensor input) => functional.silu(input);
        }

        public sealed class LeakyReLU(double negative_slope = 0.01) : Module
        {
            public override Tensor forward(Tensor input) => functional.leaky_relu(input, negative_slope);
        }

        public sealed class Softplus(double beta = 1, double threshold = 20) : Module
        {
            public override Tensor forward(Tensor input) => functional.softplus(input, beta, threshold);
        }
    }
}
