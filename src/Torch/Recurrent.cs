namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// What LSTM and GRU share: PyTorch's parameter names (weight_ih_l0, ..., bias_hh_l1_reverse) in its order, its
        /// initialisation U(-1/sqrt(hidden), 1/sqrt(hidden)), and inputs [L, N, H_in] or [N, L, H_in] with <c>batch_first</c>.
        /// </summary>
        public abstract unsafe class RecurrentBase : Module
        {
            private readonly List<Tensor> _flatWeights = [];
            protected readonly long hidden_size, num_layers;
            protected readonly bool bias, batch_first, bidirectional;
            protected readonly double dropout;

            private protected RecurrentBase(long gates, long input_size, long hidden_size, long num_layers, bool bias, bool batch_first, double dropout,
                bool bidirectional)
            {
                (this.hidden_size, this.num_layers, this.bias, this.batch_first, this.dropout, this.bidirectional) =
                    (hidden_size, num_layers, bias, batch_first, dropout, bidirectional);
                var bound = 1.0 / Math.Sqrt(hidden_size);
                for (var layer = 0; layer < num_layers; layer++)
                for (var direction = 0; direction < Directions; direction++)
                {
                    var suffix = $"_l{layer}{(direction == 1 ? "_reverse" : "")}";
                    var layerInput = layer == 0 ? input_size : hidden_size * Directions;
                    _flatWeights.Add(register_parameter("weight_ih" + suffix, Uniform([gates * hidden_size, layerInput], bound)));
                    _flatWeights.Add(register_parameter("weight_hh" + suffix, Uniform([gates * hidden_size, hidden_size], bound)));
                    if (!bias) continue;
                    _flatWeights.Add(register_parameter("bias_ih" + suffix, Uniform([gates * hidden_size], bound)));
                    _flatWeights.Add(register_parameter("bias_hh" + suffix, Uniform([gates * hidden_size], bound)));
                }
            }

            protected int Directions => bidirectional ? 2 : 1;

            /// <summary>The zero initial state [layers * directions, N, hidden] for a batched input.</summary>
            protected Tensor InitialState(Tensor input)
            {
                if (input.dim() != 3) throw new TorchException($"expected a 3-d input [{(batch_first ? "N, L" : "L, N")}, features], got {input.dim()}-d");
                return zeros([num_layers * Directions, input.size(batch_first ? 0 : 1), hidden_size], input.dtype);
            }

            private protected T WithWeights<T>(Func<IntPtr, int, T> run)
            {
                var handles = _flatWeights.Select(w => w.Handle).ToArray();
                fixed (IntPtr* h = handles) return run((IntPtr)h, handles.Length);
            }

            private protected static int Flag(bool value) => value ? 1 : 0;
        }

        /// <summary>Long short-term memory, as <c>nn.LSTM</c> (no projections).</summary>
        public sealed unsafe class LSTM(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false,
            double dropout = 0.0, bool bidirectional = false) : RecurrentBase(4, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        {
            public override Tensor forward(Tensor input) => forward(input, null).output;

            /// <summary>The output of the last layer at every step, and the final hidden and cell states of every layer.</summary>
            public (Tensor output, (Tensor h_n, Tensor c_n) state) forward(Tensor input, (Tensor h0, Tensor c0)? state)
            {
                var (h0, c0) = state ?? (InitialState(input), InitialState(input));
                return WithWeights((weights, count) =>
                {
                    Native.Check(Native.aip_lstm(input.Handle, h0.Handle, c0.Handle, (IntPtr*)weights, count, Flag(bias), num_layers, dropout, Flag(training),
                        Flag(bidirectional), Flag(batch_first), out var output, out var hn, out var cn));
                    return (new Tensor(output), (new Tensor(hn), new Tensor(cn)));
                });
            }
        }

        /// <summary>Gated recurrent unit, as <c>nn.GRU</c>.</summary>
        public sealed unsafe class GRU(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false,
            double dropout = 0.0, bool bidirectional = false) : RecurrentBase(3, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        {
            public override Tensor forward(Tensor input) => forward(input, null).output;

            /// <summary>The output of the last layer at every step, and the final hidden state of every layer.</summary>
            public (Tensor output, Tensor h_n) forward(Tensor input, Tensor? h0)
            {
                h0 ??= InitialState(input);
                return WithWeights((weights, count) =>
                {
                    Native.Check(Native.aip_gru(input.Handle, h0.Handle, (IntPtr*)weights, count, Flag(bias), num_layers, dropout, Flag(training),
                        Flag(bidirectional), Flag(batch_first), out var output, out var hn));
                    return (new Tensor(output), new Tensor(hn));
                });
            }
        }
    }
}
