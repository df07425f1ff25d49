namespace AiPlatform.Gateway.Registry;

/// <summary>
/// The lifecycle of a version: registered -> active -> deprecated -> archived -> deleted, with restore
/// (archived or soft-deleted -> deprecated) and re-activation (deprecated -> active, which is what a rollback does).
/// A version that was never used can be deleted straight away.
/// </summary>
public static class Stages
{
    public const string Registered = "registered";
    public const string Active = "active";
    public const string Deprecated = "deprecated";
    public const string Archived = "archived";
    public const string Deleted = "deleted";

    public static readonly IReadOnlyList<string> All = [Registered, Active, Deprecated, Archived, Deleted];

    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        [Registered] = [Active, Deprecated, Deleted],
        [Active] = [Deprecated],
        [Deprecated] = [Active, Archived, Deleted],
        [Archived] = [Deprecated, Deleted],
        [Deleted] = [Deprecated],
    };

    public static IReadOnlyList<string> AllowedFrom(string stage) => Allowed[stage];

    public static bool CanMove(string from, string to) => Allowed[from].Contains(to);

    /// <summary>Versions in these stages can be read by tasks and pointed at by aliases.</summary>
    public static bool IsReadable(string stage) => stage is Registered or Active or Deprecated;
}
