using System.Text.Json;

namespace AiPlatform.ScriptApi;

/// <summary>
/// What a serving script's <c>Run</c> returns: the platform keeps it alive for the life of the inference task, collects
/// the predict requests that arrive close together into batches (up to <see cref="MaxBatchSize"/> requests, waiting at
/// most <see cref="MaxBatchDelay"/> for more once one is waiting) and calls <see cref="Predict"/> once per batch, one
/// batch at a time. Disposed when the task is cancelled.
/// </summary>
public interface IPredictor : IDisposable
{
    /// <param name="requests">The bodies of the batch's predict requests, each as its caller sent it.</param>
    /// <returns>
    /// One answer per request, in the same order; each is serialized (snake_case) as that caller's response body.
    /// Throw <see cref="InvalidInputException"/> for a request the model cannot take (its caller gets 400
    /// <c>INVALID_REQUEST</c> with the message); when a batch throws, the platform asks again request by request, so
    /// only the request at fault fails.
    /// </returns>
    IReadOnlyList<object?> Predict(IReadOnlyList<JsonElement> requests);

    /// <summary>Most requests one <see cref="Predict"/> call receives.</summary>
    int MaxBatchSize => 64;

    /// <summary>How long the first request of a batch may wait for others to join it; zero (the default, as in Triton) batches what queued while the model was busy, which costs an idle service no latency.</summary>
    TimeSpan MaxBatchDelay => TimeSpan.Zero;
}

/// <summary>A predict request the model cannot take; its message goes back to the caller with 400 INVALID_REQUEST.</summary>
public sealed class InvalidInputException(string message) : Exception(message);

/// <summary>A class label with its confidence and the whole probability vector: the answer shape of the example classifiers.</summary>
public sealed record ClassPrediction(int Prediction, float Confidence, float[] Probabilities)
{
    /// <summary>One prediction per row of a row-major <c>rows x classes</c> probability block.</summary>
    public static IReadOnlyList<ClassPrediction> FromRows(ReadOnlySpan<float> probabilities, int classes)
    {
        var predictions = new ClassPrediction[probabilities.Length / classes];
        for (var i = 0; i < predictions.Length; i++)
        {
            var row = probabilities.Slice(i * classes, classes).ToArray();
            var label = Array.IndexOf(row, row.Max());
            predictions[i] = new ClassPrediction(label, row[label], row);
        }
        return predictions;
    }
}
