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
    }
}
