// The character-level language model shared by train.csx and serve.csx (inlined by #load): a small GPT-style
// transformer over UTF-8 bytes (a vocabulary of 256, so any text and any fine-tuning corpus fit without a tokenizer).
// Byte 0 ends a text: training streams join texts with it, and generation starts after it, as a text starts.
// Submodule names are PyTorch's (nn.Embedding, nn.TransformerEncoder of pre-norm nn.TransformerEncoderLayer with GELU,
// a final nn.LayerNorm, nn.Linear), so the state dict loads with strict loading into the same composition in Python.
public sealed class CharTransformer : nn.Module
{
    public const string Architecture = "CharTransformer";
    public const int Vocabulary = 256;
    public const byte EndOfText = 0;

    private readonly nn.Embedding token_embedding, position_embedding;
    private readonly nn.TransformerEncoder encoder;
    private readonly nn.Linear head;

    public CharShape Shape { get; }

    public CharTransformer(CharShape shape)
    {
        Shape = shape;
        token_embedding = new nn.Embedding(Vocabulary, shape.Width);
        position_embedding = new nn.Embedding(shape.Context, shape.Width);
        var block = new nn.TransformerEncoderLayer(shape.Width, shape.Heads, 4 * shape.Width, shape.Dropout, "gelu",
            batch_first: true, norm_first: true);
        encoder = new nn.TransformerEncoder(block, shape.Layers, new nn.LayerNorm(shape.Width));
        head = new nn.Linear(shape.Width, Vocabulary);
        RegisterComponents();
    }

    /// <summary>Byte ids [batch, time] (time at most the context) to next-byte logits [batch, time, 256].</summary>
    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var length = tokens.size(1);
        if (length > Shape.Context) throw new ArgumentException($"{length} bytes exceed the model's context of {Shape.Context}");
        var x = token_embedding.forward(tokens) + position_embedding.forward(arange(0, length));
        x = encoder.forward(x, CausalMask(length), null);
        return scope.MoveToOuter(head.forward(x));
    }

    /// <summary>Added to attention scores: minus infinity wherever a position would look at a later one.</summary>
    private static Tensor CausalMask(long length)
    {
        var mask = new float[length * length];
        for (var row = 0; row < length; row++)
        for (var column = row + 1; column < length; column++)
            mask[row * length + column] = float.NegativeInfinity;
        return tensor(mask, length, length);
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by up to <paramref name="maxTokens"/> bytes, each drawn from the model's next-byte
    /// distribution at <paramref name="temperature"/> (0: always the likeliest) among the <paramref name="topK"/> likeliest
    /// (0: all). Stops early at the end-of-text byte when <paramref name="stopAtEnd"/>. Synchronous on purpose: autograd's
    /// on/off switch belongs to a thread.
    /// </summary>
    public (byte[] Bytes, bool Ended) Generate(byte[] prompt, int maxTokens, double temperature, int topK, Random random, bool stopAtEnd = true)
    {
        using var noGrad = no_grad();
        var context = new List<long> { EndOfText };
        context.AddRange(prompt.Select(b => (long)b));
        var generated = new List<byte>(maxTokens);
        while (generated.Count < maxTokens)
        {
            using var scope = NewDisposeScope();
            var window = context.Skip(Math.Max(0, context.Count - Shape.Context)).ToArray();
            var logits = forward(tensor(window, 1, window.Length)).select(1, window.Length - 1).ToArray<float>();
            var next = Sample(logits, temperature, topK, random);
            if (next == EndOfText && stopAtEnd) return (generated.ToArray(), true);
            generated.Add(next);
            context.Add(next);
        }
        return (generated.ToArray(), false);
    }

    private static byte Sample(float[] logits, double temperature, int topK, Random random)
    {
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ToArray();
        if (temperature <= 0) return (byte)order[0];
        var candidates = topK > 0 ? order.Take(topK).ToArray() : order;
        var weights = candidates.Select(i => Math.Exp((logits[i] - logits[order[0]]) / temperature)).ToArray();
        var draw = random.NextDouble() * weights.Sum();
        for (var i = 0; i < candidates.Length; i++)
            if ((draw -= weights[i]) <= 0) return (byte)candidates[i];
        return (byte)candidates[^1];
    }
}

/// <summary>The model's size: bytes of context, embedding width, encoder layers and attention heads; kept with its weights.</summary>
public sealed record CharShape(int Context, int Width, int Layers, int Heads, double Dropout)
{
    public static CharShape From(ScriptParams p)
    {
        var shape = new CharShape(p.GetInt("context", 64), p.GetInt("width", 128), p.GetInt("layers", 2), p.GetInt("heads", 4),
            p.GetDouble("dropout", 0.1));
        if (shape.Context < 2 || shape.Width < 1 || shape.Layers < 1 || shape.Heads < 1)
            throw new ArgumentException("context must be 2 or more; width, layers and heads positive");
        if (shape.Width % shape.Heads != 0) throw new ArgumentException($"width ({shape.Width}) must be a multiple of heads ({shape.Heads})");
        if (shape.Dropout is < 0 or >= 1) throw new ArgumentException("dropout must be in [0, 1)");
        return shape;
    }

    /// <summary>The shape saved with a model version by train.csx.</summary>
    public static CharShape From(JsonObject saved) =>
        new((int)saved["context"]!, (int)saved["width"]!, (int)saved["layers"]!, (int)saved["heads"]!, (double)saved["dropout"]!);
}
