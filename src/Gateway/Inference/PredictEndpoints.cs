using System.Text.Json;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Inference;

/// <summary>
/// <c>POST /api/v1/tasks/{id}/predict</c>: the request body travels untouched over the bus to the service's replicas on
/// the serve workers, and the serving script's answer comes back as the response body. The gateway checks only that the
/// body is JSON within the size limit; what the body holds (images, feature rows...) is the serving script's to read.
/// </summary>
public static class PredictEndpoints
{
    /// <summary>Response header naming the serve worker whose replica answered.</summary>
    public const string ServedByHeader = "X-Served-By";

    public static void MapPredictEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/tasks").WithTags("Inference")
            .MapPost("/{id}/predict", PredictAsync).WithName("Predict")
            .WithSummary("Predict with a running inference service")
            .WithDescription("The body is the service's own JSON (mnist/serve.csx: {\"image\": ...} or {\"images\": [...]}; " +
                             "tabular/serve.csx: {\"inputs\": [[8 numbers], ...]}), passed to its serving script as sent; the answer is the script's.")
            .Accepts<JsonElement>("application/json")
            .RequireRateLimiting(RequestLimits.PredictPolicy)
            .Produces<JsonElement>().Produces<ApiError>(400).Produces<ApiError>(404)
            .Produces<ApiError>(409).Produces<ApiError>(413).Produces<ApiError>(429).Produces<ApiError>(502).Produces<ApiError>(503);
    }

    private static async Task<IResult> PredictAsync(string id, HttpRequest http, HttpResponse response, PlatformDbContext db,
        IRequestClient<Predict> replicas, IOptions<PredictOptions> options, CancellationToken ct)
    {
        // The body is checked first: a malformed or oversized request costs no database round trip.
        var (body, bodyError) = await JsonBody.ReadTextAsync(http, options.Value.MaxBodyBytes, ct);
        if (body is null) return bodyError!;

        if (await TaskEndpoints.FindAsync(db, id, ct) is not { } task) return TaskEndpoints.NotFound(id);
        if (task.Type != TaskTypes.Inference)
            return ApiError.Result(409, ErrorCodes.NotAnInferenceTask, $"task {task.CorrelationId} is a {task.Type} task; only inference tasks predict");
        if (task.CurrentState != TaskStatuses.RunningState)
            return ApiError.Result(409, ErrorCodes.ServiceNotRunning,
                $"inference service {task.Name} is {TaskStatuses.ToStatus(task.CurrentState)}; it predicts only while running");

        try
        {
            var answer = await replicas.GetResponse<PredictionMade, PredictionFailed>(new Predict(task.CorrelationId, body), ct);
            if (answer.Is(out Response<PredictionFailed>? failed))
                return failed.Message.InvalidInput
                    ? ApiError.BadRequest(failed.Message.Error)
                    : ApiError.Result(502, ErrorCodes.PredictionFailed, $"the model replica on {failed.Message.WorkerId} failed: {failed.Message.Error}");
            answer.Is(out Response<PredictionMade>? made);
            response.Headers[ServedByHeader] = made!.Message.WorkerId;
            return Results.Text(made.Message.AnswerJson, "application/json");
        }
        catch (RequestTimeoutException)
        {
            return ApiError.Result(503, ErrorCodes.ServiceUnavailable, $"no replica of {task.Name} answered in time; are serve workers running?");
        }
        catch (RequestFaultException e)
        {
            return ApiError.Result(502, ErrorCodes.PredictionFailed,
                $"the model replica failed: {e.Fault?.Exceptions.FirstOrDefault()?.Message ?? "no details"}");
        }
    }
}
