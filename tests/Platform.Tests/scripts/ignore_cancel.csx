// Spins without ever looking at its cancellation token: only a hard stop ends it early.
object Run(string input, string output, ScriptParams p)
{
    var until = DateTime.UtcNow.AddSeconds(p.GetDouble("seconds", 120));
    long spins = 0;
    while (DateTime.UtcNow < until) spins++;
    return new { spins };
}
