using AiPlatform.Gateway.Registry.Hooks;
using AiPlatform.Gateway.Tasks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Registry;

public static class RegistryExtensions
{
    /// <summary>The registry's services, its start-up reconciliation, and the check that pins task references at submit.</summary>
    public static WebApplicationBuilder AddRegistry(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<RegistryOptions>(builder.Configuration.GetSection("Registry"));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<RegistryService>();
        builder.Services.AddScoped<RegistryLifecycle>();
        builder.Services.AddScoped<RegistryReads>();
        builder.Services.AddScoped<VersionUsage>();
        builder.Services.AddScoped<RegistryQueries>();
        builder.Services.AddScoped<ReferenceResolver>();
        builder.Services.AddScoped<ITaskAdmissionCheck, Lake.TaskReferenceCheck>();
        builder.Services.AddHostedService<RegistryReconciler>();
        builder.Services.AddHttpClient(HookDispatcher.ClientName, (services, client) =>
            client.Timeout = services.GetRequiredService<IOptions<RegistryOptions>>().Value.HookTimeout);
        builder.Services.AddSingleton<HookDispatcher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<HookDispatcher>());
        builder.Services.AddScoped<HookGate>();
        builder.Services.AddSingleton<RegistryRetention>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RegistryRetention>());
        // A request body that is not valid JSON for a typed endpoint (the registry's bodies) answers 400 in the error
        // envelope with the binder's reason, instead of an empty 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return builder;
    }
}
