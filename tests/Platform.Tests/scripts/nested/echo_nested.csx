// A script in a subfolder: paths below the scripts root are fine.
object Run(string input, string output, ScriptParams p) => new { nested = true };
