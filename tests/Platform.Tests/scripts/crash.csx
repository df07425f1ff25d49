// Takes its whole process down, as a native crash or a stack overflow would.
object Run(string input, string output, ScriptParams p)
{
    Environment.FailFast("crash.csx brings its process down");
    return null;
}
