namespace AiPlatform.Gateway.Auth;

/// <summary>The <c>Auth</c> configuration section.</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// An admin key the gateway makes sure exists at start-up, so a fresh deployment can be used before any key was
    /// created through the API. Given directly (an orchestrator's secret as an environment variable) or as a file
    /// holding it (a mounted secret; what eng/run.sh writes). Changing it revokes the previous bootstrap key.
    /// </summary>
    public string? BootstrapKey { get; set; }

    public string? BootstrapKeyFile { get; set; }

    public string BootstrapKeyName { get; set; } = "bootstrap";

    /// <summary>
    /// How long a gateway trusts a key it has checked without asking the database again. A key revoked through this
    /// gateway stops working at once; other gateway replicas notice within this time. Zero checks every request.
    /// </summary>
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a ticket for the event stream may wait to be used; each ticket opens one stream.</summary>
    public TimeSpan StreamTicketLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Origins (scheme://host[:port]) whose pages may call the API from a browser; none by default.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    public JwtOptions Jwt { get; set; } = new();
}

/// <summary>
/// OpenID Connect bearer tokens from an identity provider, used when <see cref="Authority"/> (discovery) or
/// <see cref="SigningKeyFile"/> (a PEM public key, for providers without discovery or for tests) is set.
/// </summary>
public sealed class JwtOptions
{
    public string? Authority { get; set; }
    public string? SigningKeyFile { get; set; }
    public string? Issuer { get; set; }
    public string? Audience { get; set; }

    /// <summary>The claim holding the platform role(s): values admin, operator or viewer.</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>The claim naming the user, to attribute actions to.</summary>
    public string NameClaim { get; set; } = "preferred_username";

    /// <summary>Off only for a local identity provider during development.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKeyFile);
}
