namespace AiPlatform.Gateway.Auth;

/// <summary>
/// One API key; a row of <c>api_keys</c>. Only the SHA-256 of the key is stored: the key itself is shown once, when
/// it is created. The prefix (its first characters) lets people tell their keys apart in lists and logs.
/// </summary>
public sealed class ApiKeyRecord
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string Role { get; set; } = Roles.Viewer;

    /// <summary>The one project the key acts in; null for a key of every project (which names its project per request).</summary>
    public string? Project { get; set; }
    public string Prefix { get; set; } = "";
    public byte[] Hash { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }
}

/// <summary>What a request learns about the key it came with.</summary>
public sealed record ApiKeyIdentity(Guid Id, string Name, string Role, string? Project);
