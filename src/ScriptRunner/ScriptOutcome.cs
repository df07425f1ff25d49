namespace AiPlatform.ScriptRunner;

/// <summary>How a script run ended, as seen from the worker.</summary>
public abstract record ScriptOutcome
{
    public sealed record Completed(string ResultJson) : ScriptOutcome;
    public sealed record Failed(string Error) : ScriptOutcome;
    public sealed record Cancelled(string Reason) : ScriptOutcome;
}

/// <summary>Receives what a running script reports.</summary>
public interface IScriptObserver
{
    void OnProgress(ScriptProgressed progress);
    void OnLog(ScriptLogged log);
}
