using AiPlatform.Gateway.Tasks;

namespace AiPlatform.Gateway.Auth;

/// <summary>
/// Key commands run from the gateway's own binary, for a machine with no key yet:
/// <c>--new-key</c> prints a fresh key without storing it (for Auth:BootstrapKey or its file);
/// <c>--create-key --role admin --name NAME [--project P]</c> stores a key in the configured database and prints it, once.
/// </summary>
public static class KeyCommands
{
    /// <summary>Runs before the gateway is configured: a new key needs no database, lake or broker settings.</summary>
    public static bool TryPrintNewKey(string[] args)
    {
        if (!args.Contains("--new-key")) return false;
        Console.WriteLine(ApiKeyStore.NewKey());
        return true;
    }

    public static async Task<bool> TryCreateKeyAsync(WebApplication app, string[] args)
    {
        if (!args.Contains("--create-key")) return false;

        var name = ValueOf(args, "--name");
        var role = ValueOf(args, "--role") ?? Roles.Admin;
        var project = ValueOf(args, "--project");
        if (name is null) throw new ArgumentException("usage: --create-key --name NAME [--role admin|operator|viewer] [--project PROJECT]");
        await app.MigrateTaskStoreAsync();
        using var scope = app.Services.CreateScope();
        var (outcome, record, key) = await scope.ServiceProvider.GetRequiredService<ApiKeyStore>()
            .CreateAsync(name, role, project, "command line", CancellationToken.None);
        if (outcome != KeyCreation.Created) throw new ArgumentException($"no key created: {outcome} (name '{name}', role '{role}', project '{project}')");
        await Console.Error.WriteLineAsync(
            $"created {record!.Role} key '{record.Name}' ({record.Id}) for {(project is null ? "every project" : $"project '{project}'")}; it is shown only now:");
        Console.WriteLine(key);
        return true;
    }

    private static string? ValueOf(string[] args, string option)
    {
        var index = Array.IndexOf(args, option);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
