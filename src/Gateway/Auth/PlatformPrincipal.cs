using System.Security.Claims;

namespace AiPlatform.Gateway.Auth;

/// <summary>Who made a request, whichever scheme proved it: an API key's name or an identity provider's user.</summary>
public static class PlatformPrincipal
{
    /// <summary>The id of the API key a request came with; absent for tokens of an identity provider.</summary>
    public const string KeyIdClaim = "aip_key_id";

    public static ClaimsPrincipal ForKey(ApiKeyIdentity key, string scheme) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, key.Name), new Claim(ClaimTypes.Role, key.Role), new Claim(KeyIdClaim, key.Id.ToString())],
        scheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>The name actions are attributed to: the key's name, or the identity provider's user name.</summary>
    public static string ActorName(this ClaimsPrincipal user) => user.Identity?.Name ?? user.FindFirst("sub")?.Value ?? "unknown";
}
