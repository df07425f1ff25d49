using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;

namespace AiPlatform.Gateway.Auth;

/// <summary>
/// The default for every endpoint that names no policy of its own (the fallback policy), so a new endpoint is never
/// open by accident: reading needs a viewer, deleting an admin, any other change an operator.
/// </summary>
public sealed class MethodRoleRequirement : IAuthorizationRequirement
{
    public static string RoleFor(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) ? Roles.Viewer
        : HttpMethods.IsDelete(method) ? Roles.Admin
        : Roles.Operator;
}

public sealed class MethodRoleHandler : AuthorizationHandler<MethodRoleRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, MethodRoleRequirement requirement)
    {
        if (context.Resource is HttpContext http && Roles.AtLeast(MethodRoleRequirement.RoleFor(http.Request.Method)).Any(context.User.IsInRole))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

public static class RequiredRole
{
    /// <summary>The lowest role that passes <paramref name="policy"/> for this request, to say so in a 403.</summary>
    public static string Of(AuthorizationPolicy policy, HttpContext http)
    {
        var needed = policy.Requirements.Select(r => r switch
        {
            RolesAuthorizationRequirement roles => Roles.Ascending.FirstOrDefault(roles.AllowedRoles.Contains),
            MethodRoleRequirement => MethodRoleRequirement.RoleFor(http.Request.Method),
            _ => null,
        }).Where(r => r is not null).ToList();
        return needed.Count == 0 ? Roles.Viewer : needed.MaxBy(r => Array.IndexOf(Roles.Ascending, r))!;
    }
}
