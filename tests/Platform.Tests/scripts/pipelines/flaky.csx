// Fails its first `failures` runs with the same `key` (1 by default), then succeeds: a step that a retry or a
// resume gets through. The count lives in a file named after the key under the lake root: runners are sandboxed, each
// with a private /tmp, and the lake is the one folder they all share.
object Run(string input, string output, ScriptParams p)
{
    var key = p.GetString("key") ?? throw new ArgumentException("param 'key' is required");
    var counter = System.IO.Path.Combine(Environment.GetEnvironmentVariable("Lake__Root")!, "flaky-counters", key);
    System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(counter)!);
    var runs = (System.IO.File.Exists(counter) ? int.Parse(System.IO.File.ReadAllText(counter)) : 0) + 1;
    System.IO.File.WriteAllText(counter, runs.ToString());
    if (runs <= p.GetInt("failures", 1)) throw new InvalidOperationException($"flaky failure {runs} of {p.GetInt("failures", 1)}");
    return new { input, runs };
}
