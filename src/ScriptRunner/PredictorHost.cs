using System.Text.Json;
using AiPlatform.ScriptApi;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// A serving script's predictor inside the runner: predict requests are batched as the predictor asks
/// (<see cref="IPredictor.MaxBatchSize"/>, <see cref="IPredictor.MaxBatchDelay"/>), and each answer is serialized as its
/// caller's response body.
/// </summary>
internal sealed class PredictorHost : IAsyncDisposable
{
    private static readonly JsonSerializerOptions AnswerJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly IPredictor _predictor;
    private readonly DynamicBatcher<string, BatchedAnswer> _batcher;

    /// <param name="model">The model version the predictor serves (the serving script's input), reported with every answer.</param>
    public PredictorHost(IPredictor predictor, string model)
    {
        _predictor = predictor;
        Model = model;
        _batcher = new DynamicBatcher<string, BatchedAnswer>(PredictBatch, predictor.MaxBatchSize, predictor.MaxBatchDelay);
    }

    public string Model { get; }

    /// <exception cref="ObjectDisposedException">The host is being disposed (swapped out) and takes no new request.</exception>
    public Task<BatchedAnswer> PredictAsync(string body) => _batcher.SubmitAsync(body);

    private IReadOnlyList<BatchedAnswer> PredictBatch(IReadOnlyList<string> bodies)
    {
        var documents = new List<JsonDocument>(bodies.Count);
        try
        {
            foreach (var body in bodies) documents.Add(Parse(body));
            var answers = _predictor.Predict(documents.Select(d => d.RootElement).ToList());
            return answers.Select((a, i) => new BatchedAnswer(JsonSerializer.Serialize(a, a?.GetType() ?? typeof(object), AnswerJson), bodies.Count, i == 0))
                .ToList();
        }
        finally
        {
            foreach (var document in documents) document.Dispose();
        }
    }

    private static JsonDocument Parse(string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"request body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Answers the requests already queued, then disposes the predictor.</summary>
    public async ValueTask DisposeAsync()
    {
        await _batcher.DisposeAsync();
        _predictor.Dispose();
    }
}

/// <summary>An answer as JSON, with the size of the batch it was computed in; the first answer of a batch says so, so batches are counted once.</summary>
internal readonly record struct BatchedAnswer(string Json, int BatchSize, bool FirstOfBatch);
