// Works for `seconds`, reporting progress, and stops promptly when cancelled.
async Task<object> Run(string input, string output, ScriptParams p)
{
    var seconds = p.GetDouble("seconds", 30);
    var started = DateTime.UtcNow;
    while ((DateTime.UtcNow - started).TotalSeconds < seconds)
    {
        await Task.Delay(100, Context.CancellationToken);
        Context.Progress(Math.Min(1, (DateTime.UtcNow - started).TotalSeconds / seconds), "sleeping");
    }
    return new { slept = seconds, worker = Context.WorkerId, attempt = Context.Attempt };
}
