namespace AiPlatform.Fleet;

/// <summary>The connection settings eng/services.sh wrote for the local RabbitMQ, PostgreSQL and S3.</summary>
public static class ServicesEnvironment
{
    public static IReadOnlyDictionary<string, string> Values { get; } = Load();

    public static string Get(string key) =>
        Values.TryGetValue(key, out var value) ? value : throw new InvalidOperationException($"{key} is missing from .state/services.env");

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
