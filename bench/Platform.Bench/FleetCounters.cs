using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using Npgsql;

namespace Platform.Bench;

/// <summary>What a fleet has spent: committed transactions in its database, messages published in its vhost.</summary>
internal sealed class FleetCounters(LocalFleet fleet)
{
    // PostgreSQL and RabbitMQ both publish their counters with a delay (about 1 s and 5 s).
    private static readonly TimeSpan StatisticsDelay = TimeSpan.FromSeconds(6);

    public async Task<Counts> ReadAsync()
    {
        await Task.Delay(StatisticsDelay);
        await using var connection = new NpgsqlConnection(fleet.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", connection);
        var transactions = (long)(await query.ExecuteScalarAsync())!;
        using var management = LocalFleet.ManagementClient();
        var vhost = (await management.GetFromJsonAsync<JsonNode>($"api/vhosts/{Uri.EscapeDataString(fleet.VirtualHost)}"))!;
        var messages = vhost["message_stats"]?["publish"]?.GetValue<long>() ?? 0;
        return new Counts(transactions, messages);
    }

    public sealed record Counts(long Transactions, long Messages)
    {
        public static Counts operator -(Counts after, Counts before) => new(after.Transactions - before.Transactions, after.Messages - before.Messages);
    }
}
