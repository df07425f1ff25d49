// Spins `threads` threads for `seconds` of wall time and reports the CPU time its process got meanwhile, in cores.
object Run(string input, string output, ScriptParams p)
{
    var wall = TimeSpan.FromSeconds(p.GetDouble("seconds", 3));
    var process = System.Diagnostics.Process.GetCurrentProcess();
    var cpuBefore = process.TotalProcessorTime;
    var started = System.Diagnostics.Stopwatch.StartNew();
    var threads = Enumerable.Range(0, p.GetInt("threads", 2)).Select(_ => new Thread(() =>
    {
        var x = 0.0;
        while (started.Elapsed < wall) x += Math.Sqrt(x + 1);
    })).ToList();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
    process.Refresh();
    return new { cores = (process.TotalProcessorTime - cpuBefore).TotalSeconds / started.Elapsed.TotalSeconds };
}
