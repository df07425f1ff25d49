using AiPlatform.Gateway.Api;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AiPlatform.Gateway.Auth;

/// <summary>Checks that keep a browser on another site, or a careless client, from reaching the handlers.</summary>
public static class RequestGuards
{
    private const string HostAccepted = "aip-host-accepted";

    /// <summary>
    /// ASP.NET Core's host filtering (AllowedHosts), with its refusal in the error envelope: the filter answers a
    /// bare 400 without calling what follows, which is how a refusal is told from a 400 of an endpoint.
    /// </summary>
    public static IApplicationBuilder UseHostCheck(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            await next(context);
            if (!context.Items.ContainsKey(HostAccepted) && context.Response.StatusCode == StatusCodes.Status400BadRequest && !context.Response.HasStarted)
                await ApiError.BadRequest($"this gateway does not answer to host '{context.Request.Host}'; configure AllowedHosts to add it")
                    .ExecuteAsync(context);
        });
        app.UseHostFiltering();
        return app.Use((context, next) =>
        {
            context.Items[HostAccepted] = true;
            return next(context);
        });
    }

    /// <summary>
    /// A request from a page of another origin is refused unless that origin is configured; browsers send Origin on
    /// every cross-site request that could change something.
    /// </summary>
    public static IApplicationBuilder UseOriginCheck(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !IsSameOrigin(origin, context.Request) &&
            !context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            await ApiError.Result(StatusCodes.Status403Forbidden, AuthErrorCodes.Forbidden,
                $"requests from pages of {origin} are not allowed; configure Auth:AllowedOrigins to allow them").ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    /// <summary>
    /// Endpoints that take JSON answer 415 to any other content type, before reading a byte of the body. Routing
    /// already refuses a foreign content type with a bare 415 (from the endpoints' Accepts metadata); a missing one
    /// reaches the endpoint, so it is checked here.
    /// </summary>
    public static IApplicationBuilder UseJsonContentType(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var accepts = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>();
        if (accepts is not null && accepts.ContentTypes.Any(IsJson) && !IsJson(context.Request.ContentType))
        {
            await UnsupportedMediaType(context).ExecuteAsync(context);
            return;
        }
        await next(context);
        if (context.Response.StatusCode == StatusCodes.Status415UnsupportedMediaType && !context.Response.HasStarted && context.Response.ContentType is null)
            await UnsupportedMediaType(context).ExecuteAsync(context);
    });

    private static IResult UnsupportedMediaType(HttpContext context) =>
        ApiError.Result(StatusCodes.Status415UnsupportedMediaType, AuthErrorCodes.UnsupportedMediaType,
            $"{context.Request.Method} {context.Request.Path} takes a JSON body: send 'Content-Type: application/json'" +
            (string.IsNullOrEmpty(context.Request.ContentType) ? "" : $", not '{context.Request.ContentType}'"));

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
         (media.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)));

    private static bool IsSameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
