using System.Text.Json;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
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

    /// <summary>Response header naming the exact model version that answered (<c>fashion-cnn@5</c>).</summary>
    public const string ModelVersionHeader = "X-Model-Version";

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

    private static async Task<IResult> PredictAsync(string id, HttpRequest http, HttpResponse response, PlatformDbContext db, ProjectScope project,
        RunningServices runningServices, IRequestClient<Predict> replicas, IOptions<PredictOptions> options, CancellationToken ct)
    {
        // The body is checked first: a malformed or oversized request costs no database round trip.
        var (body, bodyError) = await JsonBody.ReadTextAsync(http, options.Value.MaxBodyBytes, ct);
        if (body is null) return bodyError!;
        if (!Guid.TryParse(id, out var taskId)) return TaskEndpoints.NotFound(id);
        if (!runningServices.TryGet(taskId, project.Required, out var name))
        {
            var (running, refusal) = await LookUpAsync(db, runningServices, id, ct);
            if (running is null) return refusal!;
            name = running;
        }

        try
        {
            var answer = await replicas.GetResponse<PredictionMade, PredictionFailed>(new Predict(taskId, body), ct);
            if (answer.Is(out Response<PredictionMade>? made))
            {
                response.Headers[ServedByHeader] = made.Message.WorkerId;
                if (made.Message.Model is { } model) response.Headers[ModelVersionHeader] = model;
                return Results.Text(made.Message.AnswerJson, "application/json");
            }
            answer.Is(out Response<PredictionFailed>? failed);
            if (failed!.Message.InvalidInput) return ApiError.BadRequest(failed.Message.Error);
            return await StoppedMeanwhileAsync() ?? ApiError.Result(502, ErrorCodes.PredictionFailed,
                $"the model replica on {failed.Message.WorkerId} failed: {failed.Message.Error}");
        }
        catch (RequestTimeoutException)
        {
            return await StoppedMeanwhileAsync() ??
                   ApiError.Result(503, ErrorCodes.ServiceUnavailable, $"no replica of {name} answered in time; are serve workers running?");
        }
        catch (RequestFaultException e)
        {
            return ApiError.Result(502, ErrorCodes.PredictionFailed,
                $"the model replica failed: {e.Fault?.Exceptions.FirstOrDefault()?.Message ?? "no details"}");
        }

        // A service that stopped while this request was on its way is not running, rather than failing.
        async Task<IResult?> StoppedMeanwhileAsync()
        {
            runningServices.Forget(taskId);
            return (await LookUpAsync(db, runningServices, id, CancellationToken.None)).Refusal;
        }
    }

    /// <returns>The service's name when it is a running inference task, else the answer that says why it cannot predict.</returns>
    private static async Task<(string? Name, IResult? Refusal)> LookUpAsync(PlatformDbContext db, RunningServices runningServices, string id,
        CancellationToken ct)
    {
        if (await TaskEndpoints.FindAsync(db, id, ct) is not { } task) return (null, TaskEndpoints.NotFound(id));
        if (task.Type != TaskTypes.Inference)
            return (null, ApiError.Result(409, ErrorCodes.NotAnInferenceTask, $"task {task.CorrelationId} is a {task.Type} task; only inference tasks predict"));
        if (task.CurrentState != TaskStatuses.RunningState)
            return (null, ApiError.Result(409, ErrorCodes.ServiceNotRunning,
                $"inference service {task.Name} is {TaskStatuses.ToStatus(task.CurrentState)}; it predicts only while running"));
        runningServices.Remember(task.CorrelationId, task.Project, task.Name);
        return (task.Name, null);
    }
}
