using AiPlatform.Gateway.Api;
using AiPlatform.Gateway.Auth;
using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Projects;
using AiPlatform.Messages;
using AiPlatform.Lake.Catalog;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Registry.Hooks;

/// <param name="Project">The project whose changes call the hook; absent for every project's.</param>
public sealed record HookRequest(string? Url, string? Secret, string? Kind, string? Name, IReadOnlyList<string>? Events, bool? Gate, string? Project = null);

public sealed record HookView(Guid Id, string Url, string? Project, string? Kind, string? Name, IReadOnlyList<string> Events, bool Gate, DateTimeOffset CreatedAt,
    string CreatedBy)
{
    public static HookView From(RegistryHook h) => new(h.Id, h.Url, h.Project, h.Kind, h.Name, h.Events, h.Gate, h.CreatedAt, h.CreatedBy);
}

/// <summary>The secret is shown once, when the hook is created.</summary>
public sealed record HookCreatedView(HookView Hook, string Secret);

public sealed record HookDeliveryView(long Id, string Event, string Status, int Attempts, int? LastStatusCode, string? LastError, DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? FinishedAt);

/// <summary>
/// Webhooks on registry changes, <c>/api/v1/hooks</c>: for admin keys of every project only, since a hook sends
/// registry data to any URL. Scope: every project or one; within it, everything (no kind), every dataset or model
/// (kind), or one (kind and name).
/// </summary>
public static class HookEndpoints
{
    public const int MaxDeliveryPage = 500;

    public static IEndpointRouteBuilder MapHookEndpoints(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/api/v1/hooks").WithTags("Hooks").RequireAuthorization(Roles.Policy(Roles.Admin), ProjectPolicies.EveryProject)
            .AddEndpointFilter<RegistryErrorFilter>();

        hooks.MapPost("/", async (HookRequest? body, HttpContext http, PlatformDbContext db, TimeProvider clock, CancellationToken ct) =>
            {
                var hook = Validate(body ?? new HookRequest(null, null, null, null, null, null), RegistryEndpoints.Actor(http), clock);
                db.Set<RegistryHook>().Add(hook);
                db.RegistryAudit.Add(Audit(hook, "hook_created", hook.CreatedBy, hook.CreatedAt, before: null, after: hook));
                await db.SaveChangesAsync(ct);
                return Results.Created($"/api/v1/hooks/{hook.Id}", new HookCreatedView(HookView.From(hook), hook.Secret));
            })
            .WithName("CreateHook").Accepts<HookRequest>("application/json").Produces<HookCreatedView>(201).Produces<ApiError>(400);

        hooks.MapGet("/", async (PlatformDbContext db, CancellationToken ct) =>
                Results.Ok((await db.Set<RegistryHook>().AsNoTracking().OrderBy(h => h.CreatedAt).ToListAsync(ct)).Select(HookView.From)))
            .WithName("ListHooks").Produces<IReadOnlyList<HookView>>();

        hooks.MapGet("/{id}", async (string id, PlatformDbContext db, CancellationToken ct) => Results.Ok(HookView.From(await FindAsync(db, id, ct))))
            .WithName("GetHook").Produces<HookView>().Produces<ApiError>(404);

        hooks.MapDelete("/{id}", async (string id, HttpContext http, PlatformDbContext db, TimeProvider clock, CancellationToken ct) =>
            {
                var hook = await FindAsync(db, id, ct);
                db.Set<RegistryHook>().Remove(hook);
                db.RegistryAudit.Add(Audit(hook, "hook_deleted", RegistryEndpoints.Actor(http), clock.GetUtcNow(), before: hook, after: null));
                await db.SaveChangesAsync(ct);
                return Results.NoContent();
            })
            .WithName("DeleteHook").Produces(204).Produces<ApiError>(404);

        hooks.MapGet("/{id}/deliveries", async (string id, int? limit, PlatformDbContext db, CancellationToken ct) =>
            {
                if (limit is < 1 or > MaxDeliveryPage) throw RegistryException.BadRequest($"query 'limit' must be between 1 and {MaxDeliveryPage}");
                var hook = await FindAsync(db, id, ct);
                var deliveries = await db.Set<HookDelivery>().AsNoTracking().Where(d => d.HookId == hook.Id).OrderByDescending(d => d.Id)
                    .Take(limit ?? 100).ToListAsync(ct);
                return Results.Ok(deliveries.Select(d => new HookDeliveryView(d.Id, d.Event, d.Status, d.Attempts, d.LastStatusCode, d.LastError, d.CreatedAt,
                    d.NextAttemptAt, d.FinishedAt)));
            })
            .WithName("ListHookDeliveries").Produces<IReadOnlyList<HookDeliveryView>>().Produces<ApiError>(400).Produces<ApiError>(404);

        // A deleted hook's record stays readable: who removed a gate, and when, matters most after it is gone.
        hooks.MapGet("/{id}/audit", async (string id, RegistryQueries queries, CancellationToken ct) =>
                Guid.TryParse(id, out var hook)
                    ? Results.Ok(await queries.AuditAsync(AuditKind, hook.ToString(), since: null, until: null, MaxDeliveryPage, ct))
                    : throw new RegistryException(404, ErrorCodes.NotFound, $"hook '{id}' does not exist"))
            .WithName("GetHookAudit").Produces<IReadOnlyList<AuditView>>().Produces<ApiError>(404);
        return app;
    }

    private const string AuditKind = "hook";
    private static readonly JsonSerializerOptions AuditJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>A hook's creation or removal in the registry's audit log, the hook as it was (never its secret).</summary>
    private static RegistryAuditRecord Audit(RegistryHook hook, string action, string actor, DateTimeOffset at, RegistryHook? before, RegistryHook? after) => new()
    {
        // Hooks are the cluster's, whichever project the admin's request named: their records live with the default project's.
        Project = ProjectNames.Default, Kind = AuditKind, Name = hook.Id.ToString(), Action = action, Actor = actor, At = at,
        BeforeJson = before is null ? null : JsonSerializer.Serialize(HookView.From(before), AuditJson),
        AfterJson = after is null ? null : JsonSerializer.Serialize(HookView.From(after), AuditJson),
    };

    private static RegistryHook Validate(HookRequest body, string actor, TimeProvider clock)
    {
        if (!Uri.TryCreate(body.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw RegistryException.BadRequest("field 'url' must be an absolute http or https URL");
        if (body.Kind is not (null or "dataset" or "model")) throw RegistryException.BadRequest("field 'kind' must be 'dataset', 'model' or absent (every kind)");
        if (body.Name is not null)
        {
            if (body.Kind is null) throw RegistryException.BadRequest("field 'name' needs field 'kind'");
            try
            {
                LakeCatalog.ValidateName(body.Name);
            }
            catch (ArgumentException e)
            {
                throw RegistryException.BadRequest($"field 'name': {e.Message}");
            }
        }
        if (body.Project is not null && !ProjectNames.IsValidName(body.Project))
            throw RegistryException.BadRequest($"field 'project' must be {ProjectNames.NameRule}, or absent (every project)");
        if (body.Secret is { Length: < 16 }) throw RegistryException.BadRequest("field 'secret' must be at least 16 characters (or absent: one is generated)");
        return new RegistryHook
        {
            Id = Guid.NewGuid(), Url = url.ToString(), Secret = body.Secret ?? HookSignature.NewSecret(), Project = body.Project, Kind = body.Kind, Name = body.Name,
            Events = body.Events?.Distinct().ToArray() ?? [], Gate = body.Gate ?? false, CreatedAt = clock.GetUtcNow(), CreatedBy = actor,
        };
    }

    private static async Task<RegistryHook> FindAsync(PlatformDbContext db, string id, CancellationToken ct) =>
        (Guid.TryParse(id, out var guid) ? await db.Set<RegistryHook>().SingleOrDefaultAsync(h => h.Id == guid, ct) : null)
        ?? throw new RegistryException(404, ErrorCodes.NotFound, $"hook '{id}' does not exist");
}
