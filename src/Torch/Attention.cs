namespace AiPlatform.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Multi-head scaled dot-product attention with PyTorch's parameters (in_proj_weight, in_proj_bias, out_proj) and
        /// the same steps as its <c>multi_head_attention_forward</c>, so weights and results carry over. Inputs are
        /// [L, N, E], or [N, L, E] with <c>batch_first</c>.
        /// </summary>
        public sealed class MultiheadAttention : Module
        {
            public readonly Tensor in_proj_weight;
            public readonly Tensor? in_proj_bias;
            public readonly Linear out_proj;
            private readonly long _embedDim, _heads;
            private readonly double _dropout;
            private readonly bool _batchFirst;

            public MultiheadAttention(long embed_dim, long num_heads, double dropout = 0.0, bool bias = true, bool batch_first = false)
            {
                if (embed_dim % num_heads != 0) throw new TorchException($"embed_dim {embed_dim} is not divisible by num_heads {num_heads}");
                (_embedDim, _heads, _dropout, _batchFirst) = (embed_dim, num_heads, dropout, batch_first);
                // PyTorch's _reset_parameters: Xavier-uniform input projection, zero biases, the output projection as a Linear.
                in_proj_weight = register_parameter("in_proj_weight", Uniform([3 * embed_dim, embed_dim], Math.Sqrt(6.0 / (4 * embed_dim))));
                if (bias) in_proj_bias = register_parameter("in_proj_bias", zeros([3 * embed_dim]));
                out_proj = register_module("out_proj", new Linear(embed_dim, embed_dim, bias));
                out_proj.bias?.fill_(0);
            }

            /// <summary>Self-attention without masks; the output only.</summary>
            public override Tensor forward(Tensor input) => forward(input, input, input, need_weights: false).output;

            /// <summary>
            /// Attends from <paramref name="query"/> over <paramref name="key"/>/<paramref name="value"/>.
            /// <paramref name="key_padding_mask"/> [N, S] (bool: true = ignore that key, or float: added);
            /// <paramref name="attn_mask"/> [L, S] or [N * heads, L, S] (bool: true = not allowed, or float: added).
            /// Returns the output and, with <paramref name="need_weights"/>, the attention weights [N, L, S] (averaged over
            /// heads) or [N, heads, L, S].
            /// </summary>
            public (Tensor output, Tensor? weights) forward(Tensor query, Tensor key, Tensor value, Tensor? key_padding_mask = null,
                bool need_weights = true, Tensor? attn_mask = null, bool average_attn_weights = true)
            {
                var keyIsValue = ReferenceEquals(key, value);
                var selfAttention = keyIsValue && ReferenceEquals(query, key);
                if (_batchFirst)
                {
                    query = query.transpose(1, 0);
                    key = selfAttention ? query : key.transpose(1, 0);
                    value = keyIsValue ? key : value.transpose(1, 0);
                }
                long targetLength = query.size(0), batch = query.size(1), sourceLength = key.size(0);
                var headDim = _embedDim / _heads;
                var (q, k, v) = Project(query, key, value, selfAttention);

                var mask = CombinedMask(attn_mask, key_padding_mask, batch, targetLength, sourceLength, q.dtype);
                q = q.contiguous().view(targetLength, batch * _heads, headDim).transpose(0, 1);
                k = k.contiguous().view(sourceLength, batch * _heads, headDim).transpose(0, 1);
                v = v.contiguous().view(sourceLength, batch * _heads, headDim).transpose(0, 1);

                var scores = (q / Math.Sqrt(headDim)).bmm(k.transpose(-2, -1));
                if (mask is not null) scores = scores + mask;
                var weights = scores.softmax(-1);
                if (training && _dropout > 0) weights = functional.dropout(weights, _dropout);
                var attended = weights.bmm(v).transpose(0, 1).contiguous().view(targetLength * batch, _embedDim);
                var output = out_proj.forward(attended).view(targetLength, batch, _embedDim);
                if (_batchFirst) output = output.transpose(1, 0);
                if (!need_weights) return (output, null);
                var perHead = weights.view(batch, _heads, targetLength, sourceLength);
                return (output, average_attn_weights ? perHead.sum(1) / _heads : perHead);
            }

            /// <summary>The packed input projection: one matrix product for self-attention, three otherwise.</summary>
            private (Tensor Q, Tensor K, Tensor V) Project(Tensor query, Tensor key, Tensor value, bool selfAttention)
            {
                if (selfAttention)
                {
                    var packed = functional.linear(query, in_proj_weight, in_proj_bias).view(query.size(0), query.size(1), 3, _embedDim);
                    return (packed.select(2, 0), packed.select(2, 1), packed.select(2, 2));
                }
                Tensor Chunk(Tensor t, int i) => t.slice(i * _embedDim, (i + 1) * _embedDim);
                return (functional.linear(query, Chunk(in_proj_weight, 0), in_proj_bias is null ? null : Chunk(in_proj_bias, 0)),
                    functional.linear(key, Chunk(in_proj_weight, 1), in_proj_bias is null ? null : Chunk(in_proj_bias, 1)),
                    functional.linear(value, Chunk(in_proj_weight, 2), in_proj_bias is null ? null : Chunk(in_proj_bias, 2)));
            }

            /// <summary>Both masks as one additive float mask over [N * heads or 1, L, S] (-inf where attention is not allowed).</summary>
            private Tensor? CombinedMask(Tensor? attnMask, Tensor? keyPaddingMask, long batch, long targetLength, long sourceLength, ScalarType dtype)
            {
                var mask = attnMask;
                if (mask is not null)
                {
                    var expected = mask.dim() == 2 ? new[] { targetLength, sourceLength } : [batch * _heads, targetLength, sourceLength];
                    if (mask.dim() is not (2 or 3) || !mask.shape.SequenceEqual(expected))
                        throw new TorchException($"attn_mask has shape [{string.Join(", ", mask.shape)}], expected [{string.Join(", ", expected)}]");
                    if (mask.dim() == 2) mask = mask.unsqueeze(0);
                }
                if (keyPaddingMask is not null)
                {
                    if (!keyPaddingMask.shape.SequenceEqual([batch, sourceLength]))
                        throw new TorchException($"key_padding_mask has shape [{string.Join(", ", keyPaddingMask.shape)}], expected [{batch}, {sourceLength}]");
                    var padding = keyPaddingMask.view(batch, 1, 1, sourceLength).expand(-1, _heads, -1, -1).reshape(batch * _heads, 1, sourceLength);
                    mask = mask is null ? padding
                        : mask.dtype == ScalarType.Bool ? mask.logical_or(padding)
                        : mask.masked_fill(padding, double.NegativeInfinity);
                }
                return mask is { dtype: ScalarType.Bool } ? zeros(mask.shape, dtype).masked_fill(mask, double.NegativeInfinity) : mask;
            }
        }
    }
}
