namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
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
    }
}
