// Throws the message it is given, as a broken user script would.
object Run(string input, string output, ScriptParams p) =>
    throw new InvalidOperationException(p.GetString("message", "the script failed on purpose"));
