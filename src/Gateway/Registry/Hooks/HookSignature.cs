using System.Security.Cryptography;
using System.Text;

namespace AiPlatform.Gateway.Registry.Hooks;

/// <summary>
/// Each hook call carries <c>X-Aip-Signature: sha256=&lt;hex HMAC-SHA256 of the body with the hook's secret&gt;</c>,
/// as GitHub's webhooks do; a receiver recomputes it over the raw body and compares in constant time.
/// </summary>
public static class HookSignature
{
    public const string Header = "X-Aip-Signature";
    public const string EventHeader = "X-Aip-Event";
    public const string DeliveryHeader = "X-Aip-Delivery";

    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
