namespace AiPlatform.ScriptApi;

/// <summary>
/// The names a script sees at top level. A script defines <c>Run(input, output, params)</c>; the runner calls it
/// as <c>Run(Input, Output, Params)</c>, and the script may use <see cref="Context"/> anywhere.
/// </summary>
public sealed class ScriptGlobals
{
    public required string? Input { get; init; }
    public required string? Output { get; init; }
    public required ScriptParams Params { get; init; }
    public required ScriptContext Context { get; init; }

    /// <summary>The exact model version the task names (<c>fashion-cnn@4</c>), e.g. the one an evaluation scores; null when it names none.</summary>
    public string? Model { get; init; }
}
