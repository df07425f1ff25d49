using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Inference;
using AiPlatform.Gateway.Lake;
using AiPlatform.Gateway.Monitoring;
using AiPlatform.Gateway.Registry;
using AiPlatform.Gateway.Tasks;
using AiPlatform.ServiceDefaults;

// Content (the monitoring page in wwwroot) is found beside the binaries, whatever directory the gateway starts in.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddApiErrors();
builder.Services.AddOpenApi();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
builder.AddTasks();
builder.AddLake();
builder.AddRegistry();
builder.Services.AddMonitoring();
builder.AddGatewayMonitoring();
builder.AddRequestLimits();

var app = builder.Build();
app.UseApiErrors();
app.UsePredictLatencyMetric();
app.UseRateLimiter();
app.MapOpenApi("/openapi/{documentName}.json");
app.MapTaskEndpoints();
app.MapPredictEndpoints();
app.MapLakeEndpoints();
app.MapRegistryEndpoints();
app.MapLineageEndpoints();
app.MapMonitoringEndpoints();
// The monitoring page: static files built into the gateway, no CDN.
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapDefaultEndpoints();

await app.MigrateTaskStoreAsync();
await app.RunAsync();

/// <summary>Lets in-process test hosts reference the gateway's entry point.</summary>
public partial class Program;
