namespace AiPlatform.Messages;

/// <summary>One or more images, each as 784 floats in [0,1] row-major; the gateway normalises every accepted input form to this.</summary>
public record PredictImages(Guid TaskId, IReadOnlyList<float[]> Images);

public record Prediction(int Label, float Confidence, float[] Probabilities);

public record PredictionsMade(Guid TaskId, string WorkerId, IReadOnlyList<Prediction> Predictions);

public record PredictionFailed(Guid TaskId, string WorkerId, string Error);
