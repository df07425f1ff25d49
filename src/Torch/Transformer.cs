namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// PyTorch's encoder layer: self-attention and a feed-forward block, each with dropout, a residual connection and
        /// layer normalisation (after, or before with <c>norm_first</c>). Same submodule names, so state dicts carry over.
        /// </summary>
        public sealed class TransformerEncoderLayer : Module
        {
            public readonly MultiheadAttention self_attn;
            public readonly Linear linear1, linear2;
            public readonly LayerNorm norm1, norm2;
            private readonly Dropout dropout, dropout1, dropout2;
            private readonly (long DModel, long Heads, long Feedforward, double Dropout, string Activation, double Eps, bool BatchFirst, bool NormFirst) _config;

            public TransformerEncoderLayer(long d_model, long nhead, long dim_feedforward = 2048, double dropout = 0.1, string activation = "relu",
                double layer_norm_eps = 1e-5, bool batch_first = false, bool norm_first = false)
            {
                if (activation is not ("relu" or "gelu")) throw new TorchException($"activation must be relu or gelu, got '{activation}'");
                _config = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first);
                self_attn = register_module("self_attn", new MultiheadAttention(d_model, nhead, dropout, batch_first: batch_first));
                linear1 = register_module("linear1", new Linear(d_model, dim_feedforward));
                this.dropout = register_module("dropout", new Dropout(dropout));
                linear2 = register_module("linear2", new Linear(dim_feedforward, d_model));
                norm1 = register_module("norm1", new LayerNorm(d_model, layer_norm_eps));
                norm2 = register_module("norm2", new LayerNorm(d_model, layer_norm_eps));
                dropout1 = register_module("dropout1", new Dropout(dropout));
                dropout2 = register_module("dropout2", new Dropout(dropout));
            }

            public override Tensor forward(Tensor src) => forward(src, null, null);

            /// <summary><paramref name="src_mask"/> and <paramref name="src_key_padding_mask"/> as MultiheadAttention's masks.</summary>
            public Tensor forward(Tensor src, Tensor? src_mask, Tensor? src_key_padding_mask)
            {
                var x = src;
                if (_config.NormFirst)
                {
                    x = x + SelfAttention(norm1.forward(x), src_mask, src_key_padding_mask);
                    return x + FeedForward(norm2.forward(x));
                }
                x = norm1.forward(x + SelfAttention(x, src_mask, src_key_padding_mask));
                return norm2.forward(x + FeedForward(x));
            }

            private Tensor SelfAttention(Tensor x, Tensor? mask, Tensor? keyPaddingMask) =>
                dropout1.forward(self_attn.forward(x, x, x, keyPaddingMask, need_weights: false, attn_mask: mask).output);

            private Tensor FeedForward(Tensor x)
            {
                var hidden = linear1.forward(x);
                hidden = _config.Activation == "gelu" ? functional.gelu(hidden) : hidden.relu();
                return dropout2.forward(linear2.forward(dropout.forward(hidden)));
            }

            /// <summary>A new layer of the same configuration with a copy of this one's weights (PyTorch deep-copies the layer).</summary>
            internal TransformerEncoderLayer Copy()
            {
                var c = _config;
                var copy = new TransformerEncoderLayer(c.DModel, c.Heads, c.Feedforward, c.Dropout, c.Activation, c.Eps, c.BatchFirst, c.NormFirst);
                copy.load_state_dict(state_dict());
                copy.train(training);
                return copy;
            }
        }

        /// <summary>
        /// A stack of <paramref name="num_layers"/> copies of <paramref name="encoder_layer"/> (named layers.0, layers.1, ...)
        /// and an optional final normalisation, as <c>nn.TransformerEncoder</c>. The layer passed in is the first copy.
        /// </summary>
        public sealed class TransformerEncoder : Module
        {
            private readonly List<TransformerEncoderLayer> _layers = [];
            private readonly Module? _norm;

            public TransformerEncoder(TransformerEncoderLayer encoder_layer, int num_layers, LayerNorm? norm = null)
            {
                if (num_layers < 1) throw new ArgumentOutOfRangeException(nameof(num_layers), "an encoder needs at least one layer");
                var layers = new Sequential(Enumerable.Range(0, num_layers).Select(i => (Module)(i == 0 ? encoder_layer : encoder_layer.Copy())).ToArray());
                register_module("layers", layers);
                foreach (var (_, layer) in layers.named_children()) _layers.Add((TransformerEncoderLayer)layer);
                if (norm is not null) _norm = register_module("norm", norm);
            }

            public override Tensor forward(Tensor src) => forward(src, null, null);

            public Tensor forward(Tensor src, Tensor? mask, Tensor? src_key_padding_mask)
            {
                var x = src;
                foreach (var layer in _layers) x = layer.forward(x, mask, src_key_padding_mask);
                return _norm?.forward(x) ?? x;
            }
        }
    }
}
