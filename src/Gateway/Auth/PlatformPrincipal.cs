using System.Security.Claims;

namespace AiPlatform.Gateway.Auth;

/// <summary>Who made a request, whichever scheme proved it: an API key's name or an identity provider's user.</summary>
public static class PlatformPrincipal
{
    /// <summary>The id of the API key a request came with; absent for tokens of an identity provider.</summary>
    public const string KeyIdClaim = "aip_key_id";

    /// <summary>
    /// The one project a key (or an identity provider's token) may act in; absent for a key of every project. Tokens
    /// carry it as their own claim of this name.
    /// </summary>
    public const string ProjectClaim = "aip_project";

    public static ClaimsPrincipal ForKey(ApiKeyIdentity key, string scheme)
    {
        List<Claim> claims = [new(ClaimTypes.Name, key.Name), new(ClaimTypes.Role, key.Role), new(KeyIdClaim, key.Id.ToString())];
        if (key.Project is not null) claims.Add(new Claim(ProjectClaim, key.Project));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>The one project the caller's key is held to; null for a key of every project.</summary>
    public static string? KeyProject(this ClaimsPrincipal user) => user.FindFirst(ProjectClaim)?.Value;

    /// <summary>The name actions are attributed to: the key's name, or the identity provider's user name.</summary>
    public static string ActorName(this ClaimsPrincipal user) => user.Identity?.Name ?? user.FindFirst("sub")?.Value ?? "unknown";
}
