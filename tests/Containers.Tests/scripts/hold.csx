// The container tests' workload: holds its slot for `seconds` (progress every 100 ms), then says which container ran
// it (the host name is the container's) and which attempt this was.
async Task<object> Run(string input, string output, ScriptParams p)
{
    var seconds = p.GetDouble("seconds", 1);
    var started = DateTime.UtcNow;
    // At once, so even a hold of no time shows when the script began (the dispatch benchmark times up to it).
    Context.Progress(0, "holding");
    while ((DateTime.UtcNow - started).TotalSeconds < seconds)
    {
        await Task.Delay(100, Context.CancellationToken);
        Context.Progress(Math.Min(1, (DateTime.UtcNow - started).TotalSeconds / seconds), "holding");
    }
    return new { host = Environment.MachineName, attempt = Context.Attempt, seconds };
}
