using AiPlatform.Gateway.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace AiPlatform.Gateway.Auth;

public static class AuthErrorCodes
{
    public const string Unauthenticated = "UNAUTHENTICATED";
    public const string Forbidden = "FORBIDDEN";
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
    public const string KeyNotFound = "KEY_NOT_FOUND";
    public const string KeyNameTaken = "KEY_NAME_TAKEN";
}

/// <summary>401 and 403 in the API's error envelope, saying what was missing.</summary>
public sealed class AuthErrorResultHandler(ILogger<AuthErrorResultHandler> logger) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Challenged)
        {
            var failure = context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Failure
                          ?? (await context.AuthenticateAsync()).Failure;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiError.Result(StatusCodes.Status401Unauthorized, AuthErrorCodes.Unauthenticated, failure is null
                ? $"an API key is required: send 'Authorization: Bearer <key>' or '{ApiKeyAuthenticationHandler.HeaderName}: <key>'"
                : failure.Message).ExecuteAsync(context);
            return;
        }
        if (result.Forbidden && context.User.KeyProject() is { } project && policy.Requirements.OfType<Projects.EveryProjectRequirement>().Any())
        {
            await ApiError.Result(StatusCodes.Status403Forbidden, AuthErrorCodes.Forbidden,
                $"{context.Request.Method} {context.Request.Path} acts on every project and needs a key of every project; '{context.User.ActorName()}' acts in project '{project}' only")
                .ExecuteAsync(context);
            return;
        }
        if (result.Forbidden)
        {
            var needed = RequiredRole.Of(policy, context);
            var held = Roles.HighestOf(context.User);
            logger.LogInformation("Refused {Method} {Path} to {Actor} ({Role}); it needs {Needed}", context.Request.Method, context.Request.Path,
                context.User.ActorName(), held ?? "no role", needed);
            await ApiError.Result(StatusCodes.Status403Forbidden, AuthErrorCodes.Forbidden,
                $"{context.Request.Method} {context.Request.Path} needs the {needed} role; '{context.User.ActorName()}' has {(held is null ? "no platform role" : $"the {held} role")}")
                .ExecuteAsync(context);
            return;
        }
        await _default.HandleAsync(next, context, policy, result);
    }
}
