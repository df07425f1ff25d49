// Reports what a script can see of its process: the names of its environment variables and their values' hashes.
object Run(string input, string output, ScriptParams p) =>
    new
    {
        names = Environment.GetEnvironmentVariables().Keys.Cast<string>().OrderBy(name => name).ToList(),
        values = Environment.GetEnvironmentVariables().Values.Cast<string>().ToList(),
    };
