// Counts the tasks its process has run (a static) and leaves a file in its /tmp: what a reused runner carries over.
static int tasksInThisProcess;

object Run(string input, string output, ScriptParams p)
{
    tasksInThisProcess++;
    var leftover = Path.Combine(Path.GetTempPath(), p.GetString("marker") ?? "marker");
    var found = File.Exists(leftover);
    File.WriteAllText(leftover, "left behind");
    return new { tasks_in_this_process = tasksInThisProcess, found_leftover = found };
}
