using AiPlatform.Gateway.Api;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;

namespace AiPlatform.Gateway.Registry;

public static class RegistryErrorCodes
{
    public const string VersionNotFound = "VERSION_NOT_FOUND";
    public const string AliasNotFound = "ALIAS_NOT_FOUND";
    public const string VersionNotAvailable = "VERSION_NOT_AVAILABLE";
    public const string InvalidTransition = "INVALID_STAGE_TRANSITION";
    public const string VersionAliased = "VERSION_ALIASED";
    public const string VersionExists = "VERSION_EXISTS";
    public const string VersionArchived = "VERSION_ARCHIVED";
    public const string NewestVersion = "NEWEST_VERSION";
    public const string RestoreExpired = "RESTORE_EXPIRED";
}

/// <summary>A registry operation refused for a reason the caller can act on; the API answers it in the error envelope.</summary>
public sealed class RegistryException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;

    public static RegistryException BadRequest(string message) => new(400, ErrorCodes.InvalidRequest, message);

    public static RegistryException ResourceNotFound(EntryKind kind, string name) => kind == EntryKind.Dataset
        ? new(404, ErrorCodes.DatasetNotFound, $"dataset '{name}' does not exist in the lake")
        : new(404, ErrorCodes.ModelNotFound, $"model '{name}' does not exist in the lake");

    public static RegistryException VersionNotFound(EntryKind kind, string name, string version) =>
        new(404, RegistryErrorCodes.VersionNotFound, $"{Noun(kind)} '{name}' has no version {version}");

    /// <summary>Set when the refusal is an archived version, which the caller may ask to have restored.</summary>
    public ArchivedVersionRef? Archived { get; init; }

    public static RegistryException NotReadable(EntryKind kind, string name, RegisteredVersion version) =>
        version is { Stage: Stages.Archived, DataMissing: false } ? VersionArchived(kind, name, version.SemanticVersion) : new(409, RegistryErrorCodes.VersionNotAvailable, version.DataMissing
            ? $"{Noun(kind)} {name}:{version.SemanticVersion} is registered but its data is missing from the lake"
            : $"{Noun(kind)} {name}:{version.SemanticVersion} is {version.Stage}; only registered, active or deprecated versions can be used");

    public static RegistryException VersionArchived(EntryKind kind, string name, string version) =>
        new(409, RegistryErrorCodes.VersionArchived,
            $"{Noun(kind)} {name}:{version} is archived (its files are in cold storage); restore it with POST {RestorePath(kind, name, version)}, " +
            "or submit the task with ?restore=true to have it restored first")
        {
            Archived = new ArchivedVersionRef(kind, name, version),
        };

    public static string RestorePath(EntryKind kind, string name, string version) => $"/api/v1/{Noun(kind)}s/{name}/versions/{version}/restore";

    public static string Noun(EntryKind kind) => kind == EntryKind.Dataset ? "dataset" : "model";

    public IResult ToResult() => ApiError.Result(Status, Code, Message);
}

/// <summary>Turns refusals thrown anywhere below a registry endpoint into their 4xx answer.</summary>
public sealed class RegistryErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (RegistryException e)
        {
            return e.ToResult();
        }
        catch (VersionArchivedException e)
        {
            // A read that reached the lake while the registry still called the version usable (an archive in between).
            return ApiError.Result(409, RegistryErrorCodes.VersionArchived, e.Message);
        }
    }
}

/// <summary>Which archived version a refusal is about.</summary>
public sealed record ArchivedVersionRef(EntryKind Kind, string Name, string Version);
