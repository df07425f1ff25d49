using AiPlatform.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// Tracing costs nothing unless a collector is configured: without an OTLP endpoint no tracer provider exists, so
/// nothing listens to the platform's, ASP.NET Core's or MassTransit's activity sources and no span is created.
/// </summary>
public sealed class TracingSetupTests
{
    [Fact]
    public void Without_an_otlp_endpoint_there_is_no_tracer_only_metrics()
    {
        using var host = HostWith([]);
        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void An_otlp_endpoint_turns_tracing_on_and_telemetry_off_turns_everything_off()
    {
        using (var traced = HostWith(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318" }))
            Assert.NotNull(traced.Services.GetService<TracerProvider>());
        using var off = HostWith(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318", ["Telemetry:Enabled"] = "false" });
        Assert.Null(off.Services.GetService<TracerProvider>());
        Assert.Null(off.Services.GetService<MeterProvider>());
    }

    private static IHost HostWith(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults("tracing-setup-test");
        return builder.Build();
    }
}
