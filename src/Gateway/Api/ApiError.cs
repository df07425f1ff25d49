namespace AiPlatform.Gateway.Api;

/// <summary>The one error shape of the API: <c>{"error":{"code":..,"message":..}}</c>.</summary>
public sealed record ApiError(ApiErrorBody Error)
{
    public static IResult Result(int status, string code, string message) =>
        Results.Json(new ApiError(new ApiErrorBody(code, message)), statusCode: status);

    public static IResult BadRequest(string message) => Result(StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest, message);
}

public sealed record ApiErrorBody(string Code, string Message);

public static class ErrorCodes
{
    public const string InvalidRequest = "INVALID_REQUEST";
    public const string TaskNotFound = "TASK_NOT_FOUND";
    public const string TaskAlreadyRunning = "TASK_ALREADY_RUNNING";
    public const string TaskAlreadyFinished = "TASK_ALREADY_FINISHED";
    public const string ServiceAlreadyExists = "SERVICE_ALREADY_EXISTS";
    public const string NotAnInferenceTask = "NOT_AN_INFERENCE_TASK";
    public const string ServiceNotRunning = "SERVICE_NOT_RUNNING";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";
    public const string PredictionFailed = "PREDICTION_FAILED";
    public const string DatasetNotFound = "DATASET_NOT_FOUND";
    public const string ModelNotFound = "MODEL_NOT_FOUND";
    public const string InUse = "IN_USE";
    public const string NotFound = "NOT_FOUND";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string TooManyRequests = "TOO_MANY_REQUESTS";
    public const string InternalError = "INTERNAL_ERROR";
}
