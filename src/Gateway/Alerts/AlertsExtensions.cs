namespace AiPlatform.Gateway.Alerts;

public static class AlertsExtensions
{
    /// <summary>The Alertmanager receiver, its store and the forwarding to webhooks and e-mail (<see cref="AlertOptions"/>).</summary>
    public static IHostApplicationBuilder AddAlerts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AlertOptions>().Bind(builder.Configuration.GetSection(AlertOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AlertOptions>, AlertOptionsValidation>();
        builder.Services.AddScoped<AlertStore>();
        builder.Services.AddSingleton<AlertForwarder>();
        builder.Services.AddHttpClient(AlertForwarder.ClientName);
        return builder;
    }
}
