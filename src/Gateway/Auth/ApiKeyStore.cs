using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiPlatform.Gateway.Auth;

public enum KeyCreation { Created, InvalidName, InvalidRole, InvalidProject, NameTaken }

/// <summary>
/// API keys: created with 256 random bits, stored as their SHA-256 only, looked up by that hash. A slow password hash
/// would add nothing for keys this long and would cost every request.
/// </summary>
public sealed partial class ApiKeyStore(PlatformDbContext db, IMemoryCache cache, IOptions<AuthOptions> options)
{
    public const string KeyPrefix = "aip_";
    private const int VisiblePrefixLength = 12;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}\z")]
    public static partial Regex NamePattern();

    public static string NewKey() => KeyPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The key's owner, or null when the key is unknown or revoked.</summary>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string presented, CancellationToken ct)
    {
        var hash = Hash(presented);
        var cacheKey = CacheKey(hash);
        if (cache.TryGetValue(cacheKey, out ApiKeyIdentity? known)) return known;
        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash && k.RevokedAt == null)
            .Select(k => new ApiKeyIdentity(k.Id, k.Name, k.Role, k.Project))
            .SingleOrDefaultAsync(ct);
        // Unknown keys are not cached: guesses would fill the cache, and a key cannot become valid after the fact.
        if (key is not null && options.Value.KeyCacheDuration > TimeSpan.Zero) cache.Set(cacheKey, key, options.Value.KeyCacheDuration);
        return key;
    }

    /// <param name="project">The one project the key acts in; null for a key of every project.</param>
    public async Task<(KeyCreation Outcome, ApiKeyRecord? Record, string? Key)> CreateAsync(string name, string role, string? project, string createdBy,
        CancellationToken ct, string? key = null)
    {
        if (!NamePattern().IsMatch(name)) return (KeyCreation.InvalidName, null, null);
        if (!Roles.IsKnown(role)) return (KeyCreation.InvalidRole, null, null);
        if (project is not null && !ProjectNames.IsValidName(project)) return (KeyCreation.InvalidProject, null, null);
        key ??= NewKey();
        var record = new ApiKeyRecord
        {
            Id = Guid.NewGuid(),
            Name = name,
            Role = role,
            Project = project,
            Prefix = key[..Math.Min(VisiblePrefixLength, key.Length)],
            Hash = Hash(key),
            CreatedAt = DateTimeOffset.UtcNow,
            CreatedBy = createdBy,
        };
        db.ApiKeys.Add(record);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            db.Entry(record).State = EntityState.Detached;
            return (KeyCreation.NameTaken, null, null);
        }
        return (KeyCreation.Created, record, key);
    }

    public Task<List<ApiKeyRecord>> ListAsync(CancellationToken ct) =>
        db.ApiKeys.AsNoTracking().OrderBy(k => k.RevokedAt != null).ThenBy(k => k.Name).ThenByDescending(k => k.CreatedAt).ToListAsync(ct);

    /// <summary>Revokes a key; it stops working on this gateway at once. Null when there is no such key.</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(Guid id, string revokedBy, CancellationToken ct)
    {
        var record = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, ct);
        if (record is null) return null;
        if (record.RevokedAt is null)
        {
            record.RevokedAt = DateTimeOffset.UtcNow;
            record.RevokedBy = revokedBy;
            await db.SaveChangesAsync(ct);
        }
        cache.Remove(CacheKey(record.Hash));
        return record;
    }

    /// <summary>
    /// Makes <paramref name="key"/> the active admin key named <paramref name="name"/>: nothing to do when it already
    /// is; otherwise the key that carried the name before is revoked (the secret was rotated) and this one stored.
    /// </summary>
    public async Task EnsureBootstrapKeyAsync(string name, string key, CancellationToken ct)
    {
        var hash = Hash(key);
        var active = await db.ApiKeys.Where(k => k.Name == name && k.RevokedAt == null).ToListAsync(ct);
        if (active.Any(k => k.Hash.AsSpan().SequenceEqual(hash) && k.Role == Roles.Admin && k.Project is null)) return;
        foreach (var old in active)
        {
            old.RevokedAt = DateTimeOffset.UtcNow;
            old.RevokedBy = "bootstrap rotation";
        }
        await db.SaveChangesAsync(ct);
        var (outcome, _, _) = await CreateAsync(name, Roles.Admin, project: null, "bootstrap", ct, key);
        // Replicas starting together race to store it; the one that lost finds it stored.
        if (outcome != KeyCreation.Created && !await db.ApiKeys.AnyAsync(k => k.Hash == hash && k.Name == name && k.RevokedAt == null, ct))
            throw new InvalidOperationException($"the bootstrap key could not be stored ({outcome}); is it in use under another name?");
    }

    private static string CacheKey(byte[] hash) => "api-key:" + Convert.ToHexString(hash);
}
