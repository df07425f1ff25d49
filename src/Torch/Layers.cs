namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
        public sealed class Linear : Module
        {
            public readonly Tensor weight;
            public readonly Tensor? bias;

            public Linear(long inFeatures, long outFeatures, bool hasBias = true)
            {
                // PyTorch's default: kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for weight and bias.
                var bound = 1.0 / Math.Sqrt(inFeatures);
                weight = register_parameter("weight", Uniform([outFeatures, inFeatures], bound));
                if (hasBias) bias = register_parameter("bias", Uniform([outFeatures], bound));
            }

            public override Tensor forward(Tensor input) => functional.linear(input, weight, bias);
        }

        public sealed class Conv2d : Module
        {
            public readonly Tensor weight;
            public readonly Tensor? bias;
            private readonly long[] _stride, _padding, _dilation;
            private readonly long _groups;

            public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1,
                long groups = 1, bool hasBias = true)
            {
                _stride = [stride, stride];
                _padding = [padding, padding];
                _dilation = [dilation, dilation];
                _groups = groups;
                var bound = 1.0 / Math.Sqrt(inChannels / groups * kernelSize * kernelSize);
                weight = register_parameter("weight", Uniform([outChannels, inChannels / groups, kernelSize, kernelSize], bound));
                if (hasBias) bias = register_parameter("bias", Uniform([outChannels], bound));
            }

            public override Tensor forward(Tensor input) => functional.conv2d(input, weight, bias, _stride, _padding, _dilation, _groups);
        }

        public sealed class MaxPool2d(long kernelSize, long? stride = null, long padding = 0) : Module
        {
            public override Tensor forward(Tensor input) => functional.max_pool2d(input, kernelSize, stride ?? kernelSize, padding);
        }

        public sealed class AvgPool2d(long kernelSize, long? stride = null, long padding = 0) : Module
        {
            public override Tensor forward(Tensor input) => functional.avg_pool2d(input, kernelSize, stride ?? kernelSize, padding);
        }

        /// <summary>Batch normalisation over [N, C] (1d) or [N, C, H, W] (2d) inputs; running statistics are buffers, as in PyTorch.</summary>
        public class BatchNorm : Module
        {
            public readonly Tensor weight, bias, running_mean, running_var, num_batches_tracked;
            private readonly double _momentum, _eps;

            protected BatchNorm(long features, double eps, double momentum)
            {
                _eps = eps;
                _momentum = momentum;
                weight = register_parameter("weight", ones([features]));
                bias = register_parameter("bias", zeros([features]));
                running_mean = register_buffer("running_mean", zeros([features]));
                running_var = register_buffer("running_var", ones([features]));
                num_batches_tracked = register_buffer("num_batches_tracked", tensor(0, ScalarType.Int64));
            }

            public override Tensor forward(Tensor input) =>
                Tensor.From(Native.aip_batch_norm(input.Handle, weight.Handle, bias.Handle, running_mean.Handle, running_var.Handle,
                    training ? 1 : 0, _momentum, _eps, out var r), r);
        }

        public sealed class BatchNorm1d(long features, double eps = 1e-5, double momentum = 0.1) : BatchNorm(features, eps, momentum);

        public sealed class BatchNorm2d(long features, double eps = 1e-5, double momentum = 0.1) : BatchNorm(features, eps, momentum);

        public sealed class Dropout(double p = 0.5) : Module
        {
            public override Tensor forward(Tensor input) => functional.dropout(input, p, training);
        }

        public sealed class ReLU : Module
        {
            public override Tensor forward(Tensor input) => input.relu();
        }

        public sealed class GELU : Module
        {
            public override Tensor forward(Tensor input) => Tensor.From(Native.aip_gelu(input.Handle, out var r), r);
        }

        public sealed class Sigmoid : Module
        {
            public override Tensor forward(Tensor input) => input.sigmoid();
        }

        public sealed class Tanh : Module
        {
            public override Tensor forward(Tensor input) => input.tanh();
        }

        public sealed class Flatten(long startDim = 1, long endDim = -1) : Module
        {
            public override Tensor forward(Tensor input) => input.flatten(startDim, endDim);
        }

        /// <summary>Runs its modules in order; they are named "0", "1", ... as in PyTorch, unless named explicitly.</summary>
        public sealed class Sequential : Module
        {
            private readonly List<Module> _layers = [];

            public Sequential(params Module[] layers)
            {
                for (var i = 0; i < layers.Length; i++) _layers.Add(register_module(i.ToString(), layers[i]));
            }

            public Sequential(params (string Name, Module Module)[] layers)
            {
                foreach (var (name, module) in layers) _layers.Add(register_module(name, module));
            }

            public override Tensor forward(Tensor input)
            {
                var x = input;
                foreach (var layer in _layers) x = layer.forward(x);
                return x;
            }
        }

        private static Tensor Uniform(long[] shape, double bound)
        {
            var t = empty(shape);
            t.uniform_(-bound, bound);
            return t;
        }
    }
}
