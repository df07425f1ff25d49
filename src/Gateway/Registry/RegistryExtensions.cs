using AiPlatform.Gateway.Tasks;

namespace AiPlatform.Gateway.Registry;

public static class RegistryExtensions
{
    /// <summary>The registry's services, its start-up reconciliation, and the check that pins task references at submit.</summary>
    public static WebApplicationBuilder AddRegistry(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<RegistryService>();
        builder.Services.AddScoped<RegistryQueries>();
        builder.Services.AddScoped<ReferenceResolver>();
        builder.Services.AddScoped<ITaskAdmissionCheck, Lake.TaskReferenceCheck>();
        builder.Services.AddHostedService<RegistryReconciler>();
        // A request body that is not valid JSON for a typed endpoint (the registry's bodies) answers 400 in the error
        // envelope with the binder's reason, instead of an empty 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return builder;
    }
}
