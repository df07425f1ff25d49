using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.Tokens;

namespace AiPlatform.Gateway.Auth;

public static class AuthExtensions
{
    private const string SelectorScheme = "Platform";

    /// <summary>The names this gateway answers to unless AllowedHosts says otherwise.</summary>
    public const string DefaultAllowedHosts = "localhost;127.0.0.1;[::1]";

    /// <summary>
    /// API keys, OpenID Connect bearer tokens when configured, stream tickets, the role policies, host filtering
    /// and CORS (closed unless origins are configured).
    /// </summary>
    public static WebApplicationBuilder AddPlatformAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection("Auth");
        services.Configure<AuthOptions>(section);
        var options = section.Get<AuthOptions>() ?? new AuthOptions();
        services.AddMemoryCache();
        services.AddScoped<ApiKeyStore>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StreamTickets>();
        services.AddSingleton<IAuthorizationHandler, MethodRoleHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AuthErrorResultHandler>();

        var authentication = services.AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, "API key, bearer token or stream ticket", policy => policy.ForwardDefaultSelector = context =>
            {
                if (options.Jwt.Enabled && LooksLikeJwt(context.Request)) return JwtBearerDefaults.AuthenticationScheme;
                if (ApiKeyAuthenticationHandler.HasCredentials(context.Request)) return ApiKeyAuthenticationHandler.SchemeName;
                return StreamTicketAuthenticationHandler.SchemeName;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, StreamTicketAuthenticationHandler>(StreamTicketAuthenticationHandler.SchemeName, null);
        if (options.Jwt.Enabled) authentication.AddJwtBearer(jwt => ConfigureJwt(jwt, options.Jwt));

        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Policy(Roles.Viewer), p => p.RequireRole(Roles.AtLeast(Roles.Viewer)))
            .AddPolicy(Roles.Policy(Roles.Operator), p => p.RequireRole(Roles.AtLeast(Roles.Operator)))
            .AddPolicy(Roles.Policy(Roles.Admin), p => p.RequireRole(Roles.AtLeast(Roles.Admin)))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().AddRequirements(new MethodRoleRequirement()).Build());

        services.AddCors(cors => cors.AddDefaultPolicy(policy => policy.WithOrigins(options.AllowedOrigins)
            .WithHeaders("Authorization", ApiKeyAuthenticationHandler.HeaderName, "Content-Type").WithMethods("GET", "POST", "DELETE")));

        // Host filtering runs inside the error handling (UseHostCheck; not first, as the web host would add it), so a
        // refused Host is answered in the error envelope too.
        if (string.IsNullOrWhiteSpace(builder.Configuration["AllowedHosts"])) builder.Configuration["AllowedHosts"] = DefaultAllowedHosts;
        services.RemoveWhere<IStartupFilter>(descriptor => descriptor.ImplementationType?.Name == "HostFilteringStartupFilter");
        services.PostConfigure<HostFilteringOptions>(hosts => hosts.IncludeFailureMessage = false);
        return builder;
    }

    /// <summary>Everything between the static page assets (open: they hold no data) and the endpoints.</summary>
    public static WebApplication UsePlatformAuth(this WebApplication app)
    {
        app.UseCors();
        app.UseOriginCheck();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAuditLog();
        app.UseJsonContentType();
        return app;
    }

    /// <summary>Stores the configured bootstrap admin key, if any; run after the schema is migrated.</summary>
    public static async Task EnsureBootstrapKeyAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value;
        var key = options.BootstrapKey;
        if (string.IsNullOrWhiteSpace(key) && !string.IsNullOrWhiteSpace(options.BootstrapKeyFile))
            key = (await File.ReadAllTextAsync(options.BootstrapKeyFile)).Trim();
        if (string.IsNullOrWhiteSpace(key)) return;
        if (key.Length < 32)
            throw new InvalidOperationException("the bootstrap key is shorter than 32 characters; generate one with `Gateway --new-key`");
        using var scope = app.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<ApiKeyStore>().EnsureBootstrapKeyAsync(options.BootstrapKeyName, key, CancellationToken.None);
    }

    private static bool LooksLikeJwt(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Count(c => c == '.') == 2;
    }

    private static void ConfigureJwt(JwtBearerOptions jwt, JwtOptions options)
    {
        jwt.MapInboundClaims = false;
        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            jwt.Authority = options.Authority;
            jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
        }
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            NameClaimType = options.NameClaim,
            RoleClaimType = options.RoleClaim,
            ValidateIssuer = !string.IsNullOrWhiteSpace(options.Issuer) || !string.IsNullOrWhiteSpace(options.Authority),
            ValidIssuer = options.Issuer,
            ValidateAudience = !string.IsNullOrWhiteSpace(options.Audience),
            ValidAudience = options.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        };
        if (!string.IsNullOrWhiteSpace(options.SigningKeyFile))
            jwt.TokenValidationParameters.IssuerSigningKey = LoadPublicKey(File.ReadAllText(options.SigningKeyFile));
    }

    private static SecurityKey LoadPublicKey(string pem)
    {
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (ArgumentException)
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(pem);
            return new ECDsaSecurityKey(ecdsa);
        }
    }

    private static void RemoveWhere<T>(this IServiceCollection services, Func<ServiceDescriptor, bool> match)
    {
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(T) && match(d)).ToList()) services.Remove(descriptor);
    }
}
