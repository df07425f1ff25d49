namespace AiPlatform.Gateway.Auth;

/// <summary>Every change (any method but GET/HEAD/OPTIONS) is logged with the key or user that asked for it and its outcome.</summary>
public static class AuditLog
{
    public const string Category = "AiPlatform.Gateway.Audit";

    public static IApplicationBuilder UseAuditLog(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        return app.Use(async (context, next) =>
        {
            var method = context.Request.Method;
            if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method))
            {
                await next(context);
                return;
            }
            try
            {
                await next(context);
            }
            finally
            {
                logger.LogInformation("{Actor} ({Role}) {Method} {Path} -> {Status}", context.User.ActorName(),
                    Roles.HighestOf(context.User) ?? "no role", method, context.Request.Path, context.Response.StatusCode);
            }
        });
    }
}
