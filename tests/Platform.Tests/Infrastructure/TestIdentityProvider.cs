using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>
/// Stands in for an OpenID Connect provider without any network: an RSA key signs tokens here, and the gateway is
/// configured with its public half as the issuer's signing key.
/// </summary>
public static class TestIdentityProvider
{
    public const string Issuer = "https://idp.test.invalid/realms/aiplatform";
    public const string Audience = "aiplatform-gateway";

    private static readonly RSA SigningKey = RSA.Create(2048);
    private static readonly Lazy<string> PublicKeyFile = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), "aiplatform-tests", $"idp-{Guid.NewGuid():N}.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, SigningKey.ExportSubjectPublicKeyInfoPem());
        return path;
    });

    /// <summary>Gateway settings that trust this provider; roles come from the "groups" claim, to show the claim is configurable.</summary>
    public static IReadOnlyDictionary<string, string> GatewaySettings => new Dictionary<string, string>
    {
        ["Auth__Jwt__SigningKeyFile"] = PublicKeyFile.Value,
        ["Auth__Jwt__Issuer"] = Issuer,
        ["Auth__Jwt__Audience"] = Audience,
        ["Auth__Jwt__RoleClaim"] = "groups",
    };

    public static string Token(string user, string[] roles, TimeSpan? lifetime = null, string issuer = Issuer, RSA? signedWith = null)
    {
        var now = DateTimeOffset.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromMinutes(5));
        var header = new { alg = "RS256", typ = "JWT" };
        var payload = new Dictionary<string, object>
        {
            ["iss"] = issuer, ["aud"] = Audience, ["sub"] = Guid.NewGuid().ToString(), ["preferred_username"] = user,
            ["groups"] = roles, ["iat"] = now.AddMinutes(-10).ToUnixTimeSeconds(), ["nbf"] = now.AddMinutes(-10).ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
        };
        var signed = $"{Encode(header)}.{Encode(payload)}";
        var signature = (signedWith ?? SigningKey).SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64Url.EncodeToString(signature)}";
    }

    private static string Encode(object value) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));
}
