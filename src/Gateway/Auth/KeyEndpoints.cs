using System.Security.Claims;
using System.Text.Json.Serialization;
using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Projects;
using AiPlatform.Messages;

namespace AiPlatform.Gateway.Auth;

/// <param name="Project">The one project the key may act in; absent for a key of every project.</param>
public sealed record CreateKeyRequest(string? Name, string? Role, string? Project);

public sealed record KeyView(
    Guid Id, string Name, string Role, string? Project, string Prefix,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("created_by")] string CreatedBy,
    [property: JsonPropertyName("revoked_at")] DateTimeOffset? RevokedAt,
    [property: JsonPropertyName("revoked_by")] string? RevokedBy)
{
    public static KeyView From(ApiKeyRecord k) => new(k.Id, k.Name, k.Role, k.Project, k.Prefix, k.CreatedAt, k.CreatedBy, k.RevokedAt, k.RevokedBy);
}

/// <summary>The only time a key is shown: in the answer that created it.</summary>
public sealed record CreatedKeyView(Guid Id, string Name, string Role, string? Project, string Prefix, string Key,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt);

/// <param name="Project">The project this request acted in.</param>
/// <param name="Projects">The projects the caller may act in: one for a project's key, null for a key of every project.</param>
public sealed record CallerView(string Name, string? Role, string Scheme, string Project, IReadOnlyList<string>? Projects);

public sealed record StreamTicketView(string Ticket, [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);

/// <summary>API keys (admin only), who the caller is, and tickets for the event stream.</summary>
public static class KeyEndpoints
{
    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/v1/keys").WithTags("Keys").RequireAuthorization(Roles.Policy(Roles.Admin), ProjectPolicies.EveryProject);
        keys.MapPost("/", CreateAsync).WithName("CreateKey").Accepts<CreateKeyRequest>("application/json")
            .Produces<CreatedKeyView>(StatusCodes.Status201Created).Produces<ApiError>(400).Produces<ApiError>(409);
        keys.MapGet("/", async (ApiKeyStore store, CancellationToken ct) => Results.Ok((await store.ListAsync(ct)).Select(KeyView.From)))
            .WithName("ListKeys").Produces<IEnumerable<KeyView>>();
        keys.MapDelete("/{id}", RevokeAsync).WithName("RevokeKey").Produces(204).Produces<ApiError>(404);

        app.MapGet("/api/v1/me", (ClaimsPrincipal user, ProjectScope project) =>
                Results.Ok(new CallerView(user.ActorName(), Roles.HighestOf(user), user.Identity?.AuthenticationType ?? "", project.Required,
                    user.KeyProject() is { } own ? [own] : null)))
            .WithTags("Keys").WithName("GetCaller").RequireAuthorization(Roles.Policy(Roles.Viewer)).Produces<CallerView>();
        // A POST that only reads: any signed-in viewer may open the stream.
        app.MapPost("/api/v1/stream/tickets", (ClaimsPrincipal user, StreamTickets tickets) =>
            {
                var (ticket, expires) = tickets.Issue(user);
                return Results.Ok(new StreamTicketView(ticket, expires));
            })
            .WithTags("Monitoring").WithName("CreateStreamTicket").RequireAuthorization(Roles.Policy(Roles.Viewer)).Produces<StreamTicketView>();
    }

    private static async Task<IResult> CreateAsync(CreateKeyRequest request, ApiKeyStore store, ClaimsPrincipal user, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name)) return ApiError.BadRequest("field 'name' is required");
        if (string.IsNullOrWhiteSpace(request.Role)) return ApiError.BadRequest($"field 'role' is required: one of {string.Join(", ", Roles.Ascending)}");
        var (outcome, record, key) = await store.CreateAsync(request.Name, request.Role, request.Project, user.ActorName(), ct);
        return outcome switch
        {
            KeyCreation.InvalidName => ApiError.BadRequest(
                "field 'name' must be 1-128 characters of letters, digits, '.', '_', '@' or '-', starting with a letter or digit"),
            KeyCreation.InvalidProject => ApiError.BadRequest($"field 'project' must be {ProjectNames.NameRule}; got '{request.Project}'"),
            KeyCreation.InvalidRole => ApiError.BadRequest($"field 'role' must be one of {string.Join(", ", Roles.Ascending)}; got '{request.Role}'"),
            KeyCreation.NameTaken => ApiError.Result(409, AuthErrorCodes.KeyNameTaken,
                $"an active key is already named '{request.Name}'; revoke it first or choose another name"),
            _ => Results.Created($"/api/v1/keys/{record!.Id}", new CreatedKeyView(record.Id, record.Name, record.Role, record.Project, record.Prefix, key!, record.CreatedAt)),
        };
    }

    private static async Task<IResult> RevokeAsync(string id, ApiKeyStore store, ClaimsPrincipal user, CancellationToken ct) =>
        Guid.TryParse(id, out var keyId) && await store.RevokeAsync(keyId, user.ActorName(), ct) is not null
            ? Results.NoContent()
            : ApiError.Result(404, AuthErrorCodes.KeyNotFound, $"key '{id}' does not exist");
}
