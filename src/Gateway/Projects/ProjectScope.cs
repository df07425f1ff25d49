using AiPlatform.Messages;

namespace AiPlatform.Gateway.Projects;

/// <summary>
/// The project the work of one DI scope acts in: a request's, from its key or its <c>X-Project</c> header, or the one
/// a background job entered for the task or run it handles. A scope that entered none (the saga, the monitors) sees
/// every project; it must name the project of anything it creates.
/// </summary>
public sealed class ProjectScope
{
    public string? Current { get; private set; }

    /// <summary>The project everything read and written in this scope belongs to, from now on.</summary>
    public void Enter(string project)
    {
        if (!ProjectNames.IsValidName(project)) throw new ArgumentException($"'{project}' is not a project name: {ProjectNames.NameRule}", nameof(project));
        if (Current is not null && Current != project)
            throw new InvalidOperationException($"this scope already acts in project '{Current}', not '{project}'");
        Current = project;
    }

    /// <summary>The project entered, for code that only runs within one.</summary>
    public string Required => Current ?? throw new InvalidOperationException("no project was entered in this scope");
}

/// <summary>A row that belongs to a project: the database context sees only its scope's project's rows, and stamps new ones with it.</summary>
public interface IProjectOwned
{
    string Project { get; set; }
}
