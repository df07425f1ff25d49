// Does not compile: the failure must name the line.
object Run(string input, string output, ScriptParams p)
{
    return undefinedVariable;
}
