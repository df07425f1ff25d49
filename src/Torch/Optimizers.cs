namespace AiPlatform.Torch;

public static partial class torch
{
    public static unsafe partial class optim
    {
        /// <summary>Creates an optimizer in libtorch over the given parameter handles.</summary>
        internal delegate int NativeOptimizerFactory(IntPtr* parameters, int count, out IntPtr optimizer);

        /// <summary>An optimizer living in libtorch: one native call per step, whatever the number of parameters.</summary>
        public abstract class Optimizer : IDisposable
        {
            private IntPtr _handle;
            private double _lr;

            private protected Optimizer(IEnumerable<Tensor> parameters, double lr, NativeOptimizerFactory create)
            {
                var handles = parameters.Select(p => p.Handle).ToArray();
                if (handles.Length == 0) throw new TorchException("the optimizer got no parameters");
                fixed (IntPtr* h = handles) Native.Check(create(h, handles.Length, out _handle));
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

            /// <summary>Sets SGD's and RMSprop's momentum, or Adam's first beta: what a one-cycle schedule cycles.</summary>
            internal void SetMomentum(double momentum) => Native.Check(Native.aip_optimizer_set_momentum(Handle, momentum));

            /// <summary>Updates every parameter that has a gradient; frozen parameters (no gradient) stay as they are.</summary>
            public void step() => Native.Check(Native.aip_optimizer_step(Handle));

            public void zero_grad() => Native.Check(Native.aip_optimizer_zero_grad(Handle));

            /// <summary>
            /// The optimizer's per-parameter state (Adam's moments and step counts, SGD's momentum buffers, RMSprop's
            /// averages) in PyTorch's pickle format, keyed by parameter index: with the weights, what a checkpoint needs
            /// for a resumed run to take the same steps an uninterrupted one would. Hyperparameters are the script's own.
            /// </summary>
            public byte[] save_state_dict()
            {
                Native.Check(Native.aip_optimizer_state_save(Handle, out var buffer, out var length));
                return TakeBuffer(buffer, length);
            }

            /// <summary>Restores state saved by <see cref="save_state_dict"/> from an optimizer over the same parameters.</summary>
            public void load_state_dict(ReadOnlySpan<byte> bytes)
            {
                fixed (byte* data = bytes) Native.Check(Native.aip_optimizer_state_load(Handle, data, bytes.Length));
            }

            public void Dispose()
            {
                var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
                if (handle != IntPtr.Zero) Native.aip_optimizer_free(handle);
                GC.SuppressFinalize(this);
            }

            ~Optimizer() => Dispose();
        }

        public sealed class SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0,
            bool nesterov = false) : Optimizer(parameters, lr, (IntPtr* p, int n, out IntPtr o) =>
            Native.aip_sgd_new(p, n, lr, momentum, dampening, weight_decay, nesterov ? 1 : 0, out o));

        public sealed class AdamOptimizer(IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weight_decay,
            bool amsgrad) : Optimizer(parameters, lr, (IntPtr* p, int n, out IntPtr o) =>
            Native.aip_adam_new(p, n, lr, beta1, beta2, eps, weight_decay, amsgrad ? 1 : 0, out o));

        public sealed class AdamWOptimizer(IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weight_decay,
            bool amsgrad) : Optimizer(parameters, lr, (IntPtr* p, int n, out IntPtr o) =>
            Native.aip_adamw_new(p, n, lr, beta1, beta2, eps, weight_decay, amsgrad ? 1 : 0, out o));

        public sealed class RMSpropOptimizer(IEnumerable<Tensor> parameters, double lr, double alpha, double eps, double weight_decay, double momentum,
            bool centered) : Optimizer(parameters, lr, (IntPtr* p, int n, out IntPtr o) =>
            Native.aip_rmsprop_new(p, n, lr, alpha, eps, weight_decay, momentum, centered ? 1 : 0, out o));

        public static AdamOptimizer Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
            double eps = 1e-8, double weight_decay = 0, bool amsgrad = false) => new(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad);

        public static AdamWOptimizer AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
            double eps = 1e-8, double weight_decay = 0.01, bool amsgrad = false) => new(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad);

        public static RMSpropOptimizer RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
            double weight_decay = 0, double momentum = 0, bool centered = false) => new(parameters, lr, alpha, eps, weight_decay, momentum, centered);
    }
}
