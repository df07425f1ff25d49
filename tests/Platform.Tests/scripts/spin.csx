// Keeps a core busy for `seconds` of wall time: a script that would hold its slot and cores for as long as it likes.
object Run(string input, string output, ScriptParams p)
{
    var seconds = p.GetDouble("seconds", 60);
    var started = DateTime.UtcNow;
    long turns = 0;
    while ((DateTime.UtcNow - started).TotalSeconds < seconds) turns++;
    return new { turns };
}
