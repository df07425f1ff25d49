namespace AiPlatform.Gateway.Inference;

public static class ServingExtensions
{
    /// <summary>What serving adds to the gateway beyond predict: telling serve workers where followed aliases point.</summary>
    public static WebApplicationBuilder AddServing(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ModelAliasAnnouncer>();
        return builder;
    }
}
