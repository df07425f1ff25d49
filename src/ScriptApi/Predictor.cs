namespace AiPlatform.ScriptApi;

/// <summary>A class label with its confidence and the whole probability vector.</summary>
public sealed record ClassPrediction(int Label, float Confidence, float[] Probabilities);

/// <summary>
/// What a serving script's <c>Run</c> returns: the platform keeps it alive for the life of the inference task and
/// routes prediction requests to it. Disposed when the task is cancelled.
/// </summary>
public interface IPredictor : IDisposable
{
    /// <param name="images">Each image as 784 floats in [0, 1], row-major 28x28.</param>
    IReadOnlyList<ClassPrediction> Predict(IReadOnlyList<float[]> images);
}
