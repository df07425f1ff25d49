// Returns its params, with a word from the input: the simplest complete task.
object Run(string input, string output, ScriptParams p)
{
    Context.Progress(0.5, "halfway");
    Context.Log($"echoing for {Context.TaskName}");
    return new { input, output, message = p.GetString("message"), times = p.GetInt("times", 1) };
}
