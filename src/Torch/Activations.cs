namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
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
