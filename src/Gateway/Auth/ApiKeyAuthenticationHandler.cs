using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key: &lt;key&gt;</c> against the stored keys.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Read(Request);
        if (string.IsNullOrEmpty(presented)) return AuthenticateResult.NoResult();
        var key = await keys.AuthenticateAsync(presented, Context.RequestAborted);
        return key is null
            ? AuthenticateResult.Fail("the API key is unknown or revoked")
            : AuthenticateResult.Success(new AuthenticationTicket(PlatformPrincipal.ForKey(key, Scheme.Name), Scheme.Name));
    }

    public static bool HasCredentials(HttpRequest request) =>
        request.Headers.ContainsKey(HeaderName) || request.Headers.Authorization.Count > 0;

    private static string? Read(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var header)) return header.ToString().Trim();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }
}
