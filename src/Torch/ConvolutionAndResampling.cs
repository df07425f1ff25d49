namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
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
    }
}
