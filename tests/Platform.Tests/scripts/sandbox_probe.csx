// Tries the ways out of a script runner that its sandbox must close, and reports what each attempt did.
object Run(string input, string output, ScriptParams p)
{
    var environmentsWithBrokerPassword = 0;
    foreach (var process in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
    {
        try
        {
            if (File.ReadAllText(Path.Combine(process, "environ")).Contains("RabbitMq__Password")) environmentsWithBrokerPassword++;
        }
        catch (Exception)
        {
            // Gone, or not ours to read.
        }
    }
    return new
    {
        environments_with_broker_password = environmentsWithBrokerPassword,
        broker = Attempt(() =>
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect("127.0.0.1", p.GetInt("broker_port", 0));
            return "connected";
        }),
        services_settings = Attempt(() => File.ReadAllText(p.GetString("services_settings")!).Contains("RabbitMq__Password") ? "read" : "empty"),
        system_passwords = Attempt(() => File.ReadAllText("/etc/shadow").Length > 0 ? "read" : "empty"),
        root_only_file = Attempt(() => File.ReadAllText(p.GetString("root_only_file")!)),
        user = Environment.UserName,
        program_folder = Attempt(() =>
        {
            File.WriteAllText(Path.Combine(AppContext.BaseDirectory, $"planted-{Guid.NewGuid():N}.dll"), "planted");
            return "written";
        }),
        scratch = Attempt(() =>
        {
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "scratch.txt"), "mine");
            return File.ReadAllText(Path.Combine(Path.GetTempPath(), "scratch.txt"));
        }),
    };
}

static string Attempt(Func<string> action)
{
    try
    {
        return action();
    }
    catch (Exception e)
    {
        return e.GetType().Name;
    }
}
