using System.Security.Claims;

namespace AiPlatform.Gateway.Auth;

/// <summary>
/// The three roles, each including the one below it: a viewer reads; an operator also submits, cancels, predicts and
/// deploys; an admin also manages keys, deletes and runs the cluster.
/// </summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    /// <summary>Lowest first: a role is granted everything granted to the roles before it.</summary>
    public static readonly string[] Ascending = [Viewer, Operator, Admin];

    public static bool IsKnown(string? role) => role is not null && Ascending.Contains(role);

    /// <summary>The roles that satisfy <paramref name="minimum"/>: itself and every role above it.</summary>
    public static string[] AtLeast(string minimum) => Ascending[Array.IndexOf(Ascending, minimum)..];

    /// <summary>The authorization policy that admits <paramref name="role"/> and every role above it.</summary>
    public static string Policy(string role) => "role:" + role;

    /// <summary>The highest platform role the caller holds, or null when it holds none.</summary>
    public static string? HighestOf(ClaimsPrincipal user) => Ascending.LastOrDefault(user.IsInRole);
}
