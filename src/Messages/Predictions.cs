namespace AiPlatform.Messages;

/// <param name="Body">The predict request's body exactly as the caller sent it: the serving script reads it, the gateway does not.</param>
public record Predict(Guid TaskId, string Body);

/// <param name="AnswerJson">The serving script's answer, the caller's response body.</param>
/// <param name="Model">The exact model version that answered (<c>fashion-cnn@5</c>).</param>
public record PredictionMade(Guid TaskId, string WorkerId, string AnswerJson, string? Model = null);

/// <param name="InvalidInput">The serving script refused the request (the caller's fault), rather than failing on it.</param>
public record PredictionFailed(Guid TaskId, string WorkerId, string Error, bool InvalidInput);
