using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Inference;
using AiPlatform.Gateway.Lake;
using AiPlatform.Gateway.Monitoring;
using AiPlatform.Gateway.Tasks;

// Content (the monitoring page in wwwroot) is found beside the binaries, whatever directory the gateway starts in.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
// One line per entry with a UTC timestamp and the scope (task id) it belongs to, so logs can be grepped and merged.
builder.Logging.AddSimpleConsole(console =>
{
    console.SingleLine = true;
    console.UseUtcTimestamp = true;
    console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
    console.IncludeScopes = true;
});
builder.Services.AddApiErrors();
builder.Services.AddOpenApi();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
builder.AddTasks();
builder.AddLake();
builder.Services.AddMonitoring();
builder.AddRequestLimits();

var app = builder.Build();
app.UseApiErrors();
app.UseRateLimiter();
app.MapOpenApi("/openapi/{documentName}.json");
app.MapTaskEndpoints();
app.MapPredictEndpoints();
app.MapLakeEndpoints();
app.MapMonitoringEndpoints();
// The monitoring page: static files built into the gateway, no CDN.
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).ExcludeFromDescription();

await app.MigrateTaskStoreAsync();
await app.RunAsync();

/// <summary>Lets in-process test hosts reference the gateway's entry point.</summary>
public partial class Program;
