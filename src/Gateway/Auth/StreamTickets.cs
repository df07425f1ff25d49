using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AiPlatform.Gateway.Auth;

/// <summary>
/// Tickets for the event stream. A browser's EventSource cannot send headers, and a long-lived key in a URL ends up
/// in logs and history; so a signed-in page trades its key for a ticket that opens one stream within seconds.
/// </summary>
public sealed class StreamTickets(IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, (ClaimsPrincipal User, DateTimeOffset Expires)> _tickets = new();

    public (string Ticket, DateTimeOffset Expires) Issue(ClaimsPrincipal user)
    {
        var now = clock.GetUtcNow();
        foreach (var (ticket, entry) in _tickets)
            if (entry.Expires <= now) _tickets.TryRemove(ticket, out _);
        var issued = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var expires = now + options.Value.StreamTicketLifetime;
        _tickets[issued] = (user, expires);
        return (issued, expires);
    }

    /// <summary>The ticket's holder, once: a ticket is consumed by the stream it opens.</summary>
    public ClaimsPrincipal? Redeem(string ticket) =>
        _tickets.TryRemove(ticket, out var entry) && entry.Expires > clock.GetUtcNow() ? entry.User : null;
}

/// <summary>Authenticates the event stream's <c>?ticket=</c>; only there, so a ticket opens nothing else.</summary>
public sealed class StreamTicketAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, StreamTickets tickets)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "StreamTicket";
    public const string StreamPath = "/api/v1/stream";
    public const string QueryName = "ticket";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Path.Equals(StreamPath, StringComparison.OrdinalIgnoreCase) || !Request.Query.TryGetValue(QueryName, out var ticket))
            return Task.FromResult(AuthenticateResult.NoResult());
        var user = tickets.Redeem(ticket.ToString());
        return Task.FromResult(user is null
            ? AuthenticateResult.Fail("the stream ticket is unknown, used or expired; ask for a new one")
            : AuthenticateResult.Success(new AuthenticationTicket(user, Scheme.Name)));
    }
}
