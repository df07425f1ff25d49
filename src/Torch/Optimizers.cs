namespace AiPlatform.Torch;

public static partial class torch
{
    public static unsafe class optim
    {
        /// <summary>An optimizer living in libtorch: one native call per step, whatever the number of parameters.</summary>
        public abstract class Optimizer : IDisposable
        {
            private IntPtr _handle;
            private double _lr;

            private protected Optimizer(int kind, IEnumerable<Tensor> parameters, double lr, double a, double b, double c, double weightDecay, bool flag)
            {
                var handles = parameters.Select(p => p.Handle).ToArray();
                if (handles.Length == 0) throw new TorchException("the optimizer got no parameters");
                fixed (IntPtr* h = handles)
                    Native.Check(Native.aip_optimizer_new(kind, h, handles.Length, lr, a, b, c, weightDecay, flag ? 1 : 0, out _handle));
                _lr = lr;
            }

            private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(GetType().Name);

            public double lr
            {
                get => _lr;
                set
                {
                    Native.Check(Native.aip_optimizer_set_lr(Handle, value));
                    _lr = value;
                }
            }

            public void step() => Native.Check(Native.aip_optimizer_step(Handle));

            public void zero_grad() => Native.Check(Native.aip_optimizer_zero_grad(Handle));

            public void Dispose()
            {
                var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
                if (handle != IntPtr.Zero) Native.aip_optimizer_free(handle);
                GC.SuppressFinalize(this);
            }

            ~Optimizer() => Dispose();
        }

        public sealed class SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0,
            bool nesterov = false) : Optimizer(0, parameters, lr, momentum, dampening, 0, weight_decay, nesterov);

        public sealed class AdamOptimizer(IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weight_decay,
            bool amsgrad) : Optimizer(1, parameters, lr, beta1, beta2, eps, weight_decay, amsgrad);

        public sealed class AdamWOptimizer(IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weight_decay,
            bool amsgrad) : Optimizer(2, parameters, lr, beta1, beta2, eps, weight_decay, amsgrad);

        public static AdamOptimizer Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
            double eps = 1e-8, double weight_decay = 0, bool amsgrad = false) => new(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad);

        public static AdamWOptimizer AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
            double eps = 1e-8, double weight_decay = 0.01, bool amsgrad = false) => new(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad);

        public static class lr_scheduler
        {
            /// <summary>Multiplies the learning rate by <paramref name="gamma"/> every <paramref name="step_size"/> calls to step().</summary>
            public sealed class StepLR(Optimizer optimizer, int step_size, double gamma = 0.1)
            {
                private readonly double _initial = optimizer.lr;
                private int _epoch;

                public void step()
                {
                    _epoch++;
                    optimizer.lr = _initial * Math.Pow(gamma, _epoch / step_size);
                }
            }
        }
    }
}
