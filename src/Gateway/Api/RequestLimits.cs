using System.Threading.RateLimiting;
using AiPlatform.Gateway.Inference;
using AiPlatform.Gateway.Monitoring;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Api;

/// <summary>A cap on requests of one kind in flight at once (across all clients), declared on the endpoint.</summary>
public sealed record ConcurrencyCap(string Name, Func<IServiceProvider, ConcurrencyLimiterOptions> Limits);

/// <summary>
/// What any one request may cost the gateway: body sizes (1 MiB unless an endpoint says otherwise), binding errors
/// answered in the error envelope, per-client rates and concurrency caps answered with 429.
/// </summary>
public static class RequestLimits
{
    public const long DefaultMaxBodyBytes = 1024 * 1024;
    public const string PredictPolicy = "predict";

    public static readonly ConcurrencyCap PredictConcurrency = new("predict", services =>
    {
        var options = services.GetRequiredService<IOptions<PredictOptions>>().Value;
        return new ConcurrencyLimiterOptions { PermitLimit = options.MaxConcurrentRequests, QueueLimit = options.QueuedRequests };
    });

    public static readonly ConcurrencyCap StreamConnections = new("stream", services =>
        new ConcurrencyLimiterOptions { PermitLimit = services.GetRequiredService<IOptions<StreamOptions>>().Value.MaxConnections, QueueLimit = 0 });

    public static WebApplicationBuilder AddRequestLimits(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<PredictOptions>(builder.Configuration.GetSection("Predict"));
        services.AddSingleton<RunningServices>();
        services.Configure<StreamOptions>(builder.Configuration.GetSection("Stream"));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = DefaultMaxBodyBytes);
        // A query or route value that does not bind (?limit=abc) throws, so the error handler answers in the envelope.
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.GetEndpoint()?.Metadata.GetMetadata<ConcurrencyCap>() is { } cap
                    ? RateLimitPartition.GetConcurrencyLimiter(cap.Name, _ => cap.Limits(context.RequestServices))
                    : RateLimitPartition.GetNoLimiter(""));
            limiter.AddPolicy(PredictPolicy, context =>
            {
                var perSecond = context.RequestServices.GetRequiredService<IOptions<PredictOptions>>().Value.RequestsPerSecondPerClient;
                return RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "", _ =>
                    new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = 2 * perSecond, TokensPerPeriod = perSecond, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0,
                    });
            });
            limiter.OnRejected = async (rejected, _) =>
            {
                var context = rejected.HttpContext;
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                    context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                await ApiError.Result(StatusCodes.Status429TooManyRequests, ErrorCodes.TooManyRequests,
                        $"too many requests to {context.Request.Method} {context.Request.Path} at once or in a short time; retry later")
                    .ExecuteAsync(context);
            };
        });
        return builder;
    }
}
