// Serves a language model trained by train.csx: continues prompts until the inference task is cancelled.
//
// request:  {"prompt": "A computer", "max_tokens": 200, "temperature": 0.8, "top_k": 0, "seed": 7, "stop_at_end": true};
//           all but prompt optional (defaults: the service's params). temperature 0 always takes the likeliest byte;
//           top_k > 0 draws among the k likeliest; a seed makes the answer repeatable; stop_at_end stops where the
//           model ends the text
// answer:   {"completion": "...", "text": prompt + completion, "tokens": bytes generated,
//           "finish_reason": "end" (the model ended the text) or "length" (max_tokens reached)}
// params:   max_tokens (200), temperature (0.8), top_k (0), threads
#load "charlm.csx"

const int MaxPromptBytes = 4096, MaxTokensLimit = 2000;

async Task<IPredictor> Run(string input, string output, ScriptParams p)
{
    if (p.Has("threads")) set_num_threads(p.GetInt("threads", Environment.ProcessorCount));
    var artifact = await Context.Lake.LoadModelAsync(input, Context.CancellationToken);
    if (artifact.Architecture != CharTransformer.Architecture)
        throw new InvalidOperationException($"model {input} is a {artifact.Architecture}; this script serves {CharTransformer.Architecture}");
    var model = new CharTransformer(CharShape.From(artifact.Params));
    model.load_state_dict(artifact.Weights);
    model.eval();
    var defaults = new GenerationRequest("", p.GetInt("max_tokens", 200), p.GetDouble("temperature", 0.8), p.GetInt("top_k", 0), null, true);
    Context.Log($"serving {input} version {artifact.Version} (test loss {artifact.Metrics["test_loss"]})");
    return new TextGenerator(model, defaults.Validated());
}

sealed class TextGenerator(CharTransformer model, GenerationRequest defaults) : IPredictor
{
    // Generation is a loop of forward passes per request: batching requests together would gain nothing here.
    public int MaxBatchSize => 1;

    public IReadOnlyList<object?> Predict(IReadOnlyList<JsonElement> requests) => requests.Select(Answer).ToList();

    private object Answer(JsonElement body)
    {
        var request = GenerationRequest.Parse(body, defaults);
        var prompt = Encoding.UTF8.GetBytes(request.Prompt);
        var random = request.Seed is { } seed ? new Random(seed) : Random.Shared;
        var (bytes, ended) = model.Generate(prompt, request.MaxTokens, request.Temperature, request.TopK, random, request.StopAtEnd);
        var completion = Encoding.UTF8.GetString(bytes);
        return new { completion, text = request.Prompt + completion, tokens = bytes.Length, finish_reason = ended ? "end" : "length" };
    }

    public void Dispose() => model.Dispose();
}

sealed record GenerationRequest(string Prompt, int MaxTokens, double Temperature, int TopK, int? Seed, bool StopAtEnd)
{
    public static GenerationRequest Parse(JsonElement body, GenerationRequest defaults)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new InvalidInputException("the request must be a JSON object with a 'prompt'");
        if (!body.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String)
            throw new InvalidInputException("'prompt' must be a string (it may be empty)");
        return new GenerationRequest(prompt.GetString()!,
            Integer(body, "max_tokens") ?? defaults.MaxTokens,
            Number(body, "temperature") ?? defaults.Temperature,
            Integer(body, "top_k") ?? defaults.TopK,
            Integer(body, "seed"),
            body.TryGetProperty("stop_at_end", out var stop) ? stop.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new InvalidInputException("'stop_at_end' must be true or false"),
            } : defaults.StopAtEnd).Validated();
    }

    public GenerationRequest Validated()
    {
        if (Encoding.UTF8.GetByteCount(Prompt) > MaxPromptBytes) throw new InvalidInputException($"'prompt' must be at most {MaxPromptBytes} bytes");
        if (MaxTokens is < 1 or > MaxTokensLimit) throw new InvalidInputException($"'max_tokens' must be from 1 to {MaxTokensLimit}; got {MaxTokens}");
        if (Temperature is < 0 or > 10 || double.IsNaN(Temperature)) throw new InvalidInputException($"'temperature' must be from 0 to 10; got {Temperature}");
        if (TopK is < 0 or > CharTransformer.Vocabulary) throw new InvalidInputException($"'top_k' must be from 0 (all) to {CharTransformer.Vocabulary}; got {TopK}");
        return this;
    }

    private static int? Integer(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number
        : throw new InvalidInputException($"'{name}' must be an integer; got {value.GetRawText()}");

    private static double? Number(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number ? value.GetDouble()
        : throw new InvalidInputException($"'{name}' must be a number; got {value.GetRawText()}");
}
