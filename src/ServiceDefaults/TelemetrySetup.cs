using MassTransit.Logging;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AiPlatform.ServiceDefaults;

/// <summary>
/// Metrics and traces. <c>Telemetry:Enabled=false</c> turns both off (what the overhead benchmark compares against).
/// Tracing is on only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names a collector: without one nothing listens to the
/// activity sources, so no span is even created. <c>Telemetry:TraceSampleRatio</c> (default 1) samples new traces;
/// a span with a parent follows its parent's decision, so a trace is kept or dropped whole.
/// </summary>
internal static class TelemetrySetup
{
    public static bool Enabled(IConfiguration configuration) => configuration.GetValue("Telemetry:Enabled", true);

    public static void AddTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        if (!Enabled(configuration)) return;
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter(PlatformMetrics.MeterName, "AiPlatform.Lake", "MassTransit", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddRuntimeInstrumentation()
                .AddProcessInstrumentation()
                .AddPrometheusExporter());
        if (string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) return;
        var sampleRatio = configuration.GetValue("Telemetry:TraceSampleRatio", 1.0);
        // The exporter reads the rest of the standard OTEL_EXPORTER_OTLP_* settings itself (protocol, headers, timeout).
        telemetry.WithTracing(tracing => tracing
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(sampleRatio)))
            .AddSource(PlatformTracing.SourceName, DiagnosticHeaders.DefaultListenerName)
            .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsProbeOrScrape(context.Request.Path))
            .AddOtlpExporter());
    }

    // Scrapes and probes every few seconds would bury the traces of real work.
    private static bool IsProbeOrScrape(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");
}
