using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AiPlatform.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>Health checks tagged "live" answer /healthz (is the process able to work at all).</summary>
    public const string LiveTag = "live";

    /// <summary>Health checks tagged "ready" answer /readyz (can it serve now: bus connected, stores reachable).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Console logging, metrics (the platform's, MassTransit's, ASP.NET Core's, the runtime's and the process's), traces
    /// when an OTLP endpoint is configured (see <see cref="TelemetrySetup"/>) and health checks.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, string serviceName)
    {
        // One line per entry with a UTC timestamp and the scope (task id) it belongs to, so logs can be grepped and merged.
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.IncludeScopes = true;
        });
        // Each line also carries the trace and span ids of the work it belongs to, when that work is traced.
        builder.Logging.Configure(logging => logging.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        builder.Services.AddTelemetry(builder.Configuration, serviceName);
        builder.Services.AddHealthChecks().AddCheck("process", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddHostedService<PrometheusTargetFile>();
        return builder;
    }

    /// <summary>
    /// /metrics, /healthz and /readyz; each health endpoint runs every registered check with its tag. They need no
    /// credentials: probes and scrapers carry none, and they show no user data.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        if (TelemetrySetup.Enabled(app.Configuration)) app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        app.MapHealthChecks("/healthz", HealthOptions(LiveTag)).AllowAnonymous().ExcludeFromDescription();
        app.MapHealthChecks("/readyz", HealthOptions(ReadyTag)).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static HealthCheckOptions HealthOptions(string tag) => new()
    {
        Predicate = check => check.Tags.Contains(tag),
        ResponseWriter = WriteReportAsync,
    };

    /// <summary>Which check failed and why, so a probe failure can be read without the logs.</summary>
    private static Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString().ToLowerInvariant(),
                description = e.Value.Description ?? e.Value.Exception?.Message,
            }),
        }));
    }
}
