namespace AiPlatform.Fleet;

/// <summary>The connection settings eng/services.sh wrote for the local RabbitMQ, PostgreSQL and S3.</summary>
public static class ServicesEnvironment
{
    public static IReadOnlyDictionary<string, string> Values { get; } = Load();

    public static string Get(string key) =>
        Values.TryGetValue(key, out var value) ? value : throw new InvalidOperationException($"{key} is missing from .state/services.env");

    /// <summary>Stops and starts the RabbitMQ node (eng/services.sh restart-rabbitmq); returns once it accepts connections.</summary>
    public static Task RestartRabbitMqAsync() => RunServicesCommandAsync("restart-rabbitmq");

    /// <summary>Stops the RabbitMQ node until <see cref="StartRabbitMqAsync"/>: an outage of the caller's length.</summary>
    public static Task StopRabbitMqAsync() => RunServicesCommandAsync("stop-rabbitmq");

    public static Task StartRabbitMqAsync() => RunServicesCommandAsync("start-rabbitmq");

    /// <summary>Stops PostgreSQL the hard way, as a crash would, and starts it again.</summary>
    public static Task RestartPostgresAsync() => RunServicesCommandAsync("restart-postgres");

    /// <summary>Stops PostgreSQL the hard way until <see cref="StartPostgresAsync"/>: a database outage of the caller's length.</summary>
    public static Task CrashPostgresAsync() => RunServicesCommandAsync("crash-postgres");

    public static Task StartPostgresAsync() => RunServicesCommandAsync("start-postgres");

    /// <summary>Restarts the S3 server process; the objects survive in the storage cluster.</summary>
    public static Task RestartS3Async() => RunServicesCommandAsync("restart-s3");

    private static async Task RunServicesCommandAsync(string command)
    {
        var info = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(ServicesCheckout(), "eng", "services.sh"));
        info.ArgumentList.Add(command);
        using var process = System.Diagnostics.Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"eng/services.sh {command} failed: {output}{await errors}");
    }

    /// <summary>
    /// The checkout whose services these are: a checkout that links its <c>.state/services.env</c> to another's uses
    /// that one's services, and must restart them with that one's script (its own would act on its own ports).
    /// </summary>
    private static string ServicesCheckout()
    {
        var env = new FileInfo(Path.Combine(RepoPaths.Root, ".state", "services.env"));
        var target = env.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? env.FullName;
        return Path.GetDirectoryName(Path.GetDirectoryName(target))!;
    }

    /// <summary>The broker roles of the fleet's processes: each has an account of its own (eng/services.sh).</summary>
    public static readonly string[] BrokerRoles = ["gateway", "ingest", "train", "serve"];

    /// <summary>The account a process of <paramref name="role"/> reaches the broker with, instead of the administrator's.</summary>
    public static (string Username, string Password) BrokerAccount(string role)
    {
        var path = Path.Combine(ServicesCheckout(), ".state", "broker-accounts.env");
        var line = File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith(role + "=", StringComparison.Ordinal)) : null;
        return line is null
            ? throw new InvalidOperationException($"no broker account for {role} in {path}: start the local services again with `bash eng/services.sh start`")
            : ($"aip-{role}", line[(role.Length + 1)..].Trim());
    }

    private static Dictionary<string, string> Load()
    {
        var path = Path.Combine(RepoPaths.Root, ".state", "services.env");
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} not found: start the local services first with `bash eng/services.sh start`");
        return File.ReadAllLines(path)
            .Where(line => line.Contains('=') && !line.TrimStart().StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim());
    }
}
