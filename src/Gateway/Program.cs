using AiPlatform.Gateway.Alerts;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Auth;
using AiPlatform.Gateway.Cluster;
using AiPlatform.Gateway.Inference;
using AiPlatform.Gateway.Lake;
using AiPlatform.Gateway.Monitoring;
using AiPlatform.Gateway.Pipelines;
using AiPlatform.Gateway.Projects;
using AiPlatform.Gateway.Registry;
using AiPlatform.Gateway.Tasks;
using AiPlatform.ServiceDefaults;

if (KeyCommands.TryPrintNewKey(args)) return;

// Content (the monitoring page in wwwroot) is found beside the binaries, whatever directory the gateway starts in.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddApiErrors();
builder.Services.AddOpenApi(options => options.AddProjectHeader());
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
builder.AddPlatformAuth();
builder.AddTasks();
builder.AddLake();
builder.AddRegistry();
builder.AddServing();
builder.AddPipelines();
builder.AddAlerts();
builder.AddCluster();
builder.Services.AddMonitoring();
builder.AddGatewayMonitoring();
builder.AddRequestLimits();

var app = builder.Build();
if (await KeyCommands.TryCreateKeyAsync(app, args)) return;

app.UseApiErrors();
app.UsePredictLatencyMetric();
app.UseRateLimiter();
app.UseHostCheck();
// The monitoring page: static files built into the gateway, no CDN. Served without a key: they hold no data.
app.UseDefaultFiles();
app.UseStaticFiles();
// Every endpoint below needs a role: its own policy, or by default viewer to read, operator to change, admin to delete.
app.UsePlatformAuth();
app.UseProjectScope();
app.MapOpenApi("/openapi/{documentName}.json");
app.MapAuthEndpoints();
app.MapProjectEndpoints();
app.MapTaskEndpoints();
app.MapPipelineEndpoints();
app.MapPredictEndpoints();
app.MapLakeEndpoints();
app.MapRegistryEndpoints();
app.MapLineageEndpoints();
app.MapMonitoringEndpoints();
app.MapAlertEndpoints();
app.MapClusterEndpoints();
// /healthz, /readyz and /metrics: open to probes and scrapers, which carry no key.
app.MapDefaultEndpoints();

await app.MigrateTaskStoreAsync();
await app.EnsureBootstrapKeyAsync();
await app.RunAsync();

/// <summary>Lets in-process test hosts reference the gateway's entry point.</summary>
public partial class Program;
