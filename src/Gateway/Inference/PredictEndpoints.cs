using System.Text.Json;
using System.Text.Json.Serialization;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Tasks;
using AiPlatform.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Inference;

public sealed record PredictionView(int Prediction, float Confidence, float[] Probabilities);

public sealed record BatchPredictionView(IReadOnlyList<PredictionView> Predictions, [property: JsonPropertyName("worker_id")] string WorkerId);

/// <summary>
/// <c>POST /api/v1/tasks/{id}/predict</c>: the request travels over the bus to the service's replicas on the serve
/// workers. The gateway only decodes and checks images; it never loads a model.
/// </summary>
public static class PredictEndpoints
{
    public static void MapPredictEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/tasks").WithTags("Inference")
            .MapPost("/{id}/predict", PredictAsync).WithName("Predict").Accepts<JsonElement>("application/json")
            .RequireRateLimiting(RequestLimits.PredictPolicy)
            .Produces<PredictionView>().Produces<BatchPredictionView>().Produces<ApiError>(400).Produces<ApiError>(404)
            .Produces<ApiError>(409).Produces<ApiError>(413).Produces<ApiError>(429).Produces<ApiError>(502).Produces<ApiError>(503);
    }

    private static async Task<IResult> PredictAsync(string id, HttpRequest http, PlatformDbContext db,
        IRequestClient<PredictImages> replicas, IOptions<PredictOptions> options, CancellationToken ct)
    {
        // The body is checked first: a malformed or oversized request costs no database round trip.
        var limits = options.Value;
        var (body, bodyError) = await JsonBody.ReadAsync(http, limits.MaxBodyBytes, ct);
        if (body is null) return bodyError!;
        List<float[]> images;
        bool batch;
        using (body)
        {
            try
            {
                (images, batch) = ParseImages(body.RootElement, limits);
            }
            catch (ImageFormatException e)
            {
                return ApiError.BadRequest(e.Message);
            }
        }

        if (await TaskEndpoints.FindAsync(db, id, ct) is not { } task) return TaskEndpoints.NotFound(id);
        if (task.Type != TaskTypes.Inference)
            return ApiError.Result(409, ErrorCodes.NotAnInferenceTask, $"task {task.CorrelationId} is a {task.Type} task; only inference tasks predict");
        if (task.CurrentState != TaskStatuses.RunningState)
            return ApiError.Result(409, ErrorCodes.ServiceNotRunning,
                $"inference service {task.Name} is {TaskStatuses.ToStatus(task.CurrentState)}; it predicts only while running");

        try
        {
            var response = await replicas.GetResponse<PredictionsMade, PredictionFailed>(new PredictImages(task.CorrelationId, images), ct);
            if (response.Is(out Response<PredictionFailed>? failed))
                return ApiError.Result(502, ErrorCodes.PredictionFailed, $"the model replica on {failed.Message.WorkerId} failed: {failed.Message.Error}");
            response.Is(out Response<PredictionsMade>? made);
            var views = made!.Message.Predictions.Select(p => new PredictionView(p.Label, p.Confidence, p.Probabilities)).ToList();
            return batch ? Results.Ok(new BatchPredictionView(views, made.Message.WorkerId)) : Results.Ok(views[0]);
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

    private static (List<float[]> Images, bool Batch) ParseImages(JsonElement body, PredictOptions limits)
    {
        var budget = new PixelBudget(limits.MaxPixelsPerImage, limits.MaxPixelsPerRequest);
        if (body.ValueKind != JsonValueKind.Object) throw new ImageFormatException("request body must be a JSON object with 'image' or 'images'");
        if (body.TryGetProperty("image", out var one)) return ([ImageInput.Parse(one, "field 'image'", budget)], false);
        if (!body.TryGetProperty("images", out var many)) throw new ImageFormatException("field 'image' (or 'images' for a batch) is required");
        if (many.ValueKind != JsonValueKind.Array || many.GetArrayLength() < 1 || many.GetArrayLength() > limits.MaxImagesPerRequest)
            throw new ImageFormatException($"field 'images' must be an array of 1 to {limits.MaxImagesPerRequest} images");
        return (many.EnumerateArray().Select((image, i) => ImageInput.Parse(image, $"field 'images[{i}]'", budget)).ToList(), true);
    }
}
