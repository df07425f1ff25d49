using Microsoft.AspNetCore.Diagnostics;

namespace AiPlatform.Gateway.Api;

/// <summary>Unexpected failures become a 500 in the error envelope, with a trace id to find the logged details, never a stack trace.</summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is BadHttpRequestException bad)
        {
            // The client's mistake, not the gateway's: worth a line at information level, never a stack trace.
            logger.LogInformation("Refused {Method} {Path} with {Status}: {Message}", context.Request.Method, context.Request.Path,
                bad.StatusCode, bad.Message);
            var code = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorCodes.PayloadTooLarge : ErrorCodes.InvalidRequest;
            await ApiError.Result(bad.StatusCode, code, BindingErrors.Describe(bad.Message)).ExecuteAsync(context);
            return true;
        }
        logger.LogError(exception, "Unhandled error for {Method} {Path} ({TraceId})", context.Request.Method, context.Request.Path,
            context.TraceIdentifier);
        await ApiError.Result(StatusCodes.Status500InternalServerError, ErrorCodes.InternalError,
            $"internal error; the gateway log has the details under trace id {context.TraceIdentifier}").ExecuteAsync(context);
        return true;
    }
}

public static class ApiErrorHandlingExtensions
{
    public static IServiceCollection AddApiErrors(this IServiceCollection services)
    {
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddProblemDetails();
        return services;
    }

    /// <summary>Routing's own 404/405 answers (no endpoint matched) in the error envelope too.</summary>
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(async status =>
        {
            var response = status.HttpContext.Response;
            if (response.HasStarted || response.ContentLength is > 0 || response.ContentType is not null) return;
            var code = response.StatusCode == StatusCodes.Status404NotFound ? ErrorCodes.NotFound : ErrorCodes.InvalidRequest;
            await ApiError.Result(response.StatusCode, code,
                $"{status.HttpContext.Request.Method} {status.HttpContext.Request.Path} is not an endpoint of this API (HTTP {response.StatusCode})")
                .ExecuteAsync(status.HttpContext);
        });
        return app;
    }
}
