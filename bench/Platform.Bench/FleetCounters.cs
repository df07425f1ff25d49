using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiPlatform.Fleet;
using Npgsql;

namespace Platform.Bench;

/// <summary>What a fleet has spent: transactions and row writes in its database, messages published in its vhost.</summary>
internal sealed class FleetCounters(LocalFleet fleet)
{
    // PostgreSQL and RabbitMQ both publish their counters with a delay (about 1 s and 5 s).
    private static readonly TimeSpan StatisticsDelay = TimeSpan.FromSeconds(6);

    public async Task<Counts> ReadAsync()
    {
        await Task.Delay(StatisticsDelay);
        await using var connection = new NpgsqlConnection(fleet.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("""
            SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
                   (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_user_tables)
            """, connection);
        await using var reader = await query.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (transactions, rowWrites) = (reader.GetInt64(0), reader.GetInt64(1));
        using var management = LocalFleet.ManagementClient();
        var vhost = (await management.GetFromJsonAsync<JsonNode>($"api/vhosts/{Uri.EscapeDataString(fleet.VirtualHost)}"))!;
        var messages = vhost["message_stats"]?["publish"]?.GetValue<long>() ?? 0;
        return new Counts(transactions, rowWrites, messages);
    }

    /// <param name="Transactions">Committed transactions, reads included (every poll of the API is one).</param>
    /// <param name="RowWrites">Rows inserted, updated or deleted.</param>
    public sealed record Counts(long Transactions, long RowWrites, long Messages)
    {
        public static Counts operator -(Counts after, Counts before) =>
            new(after.Transactions - before.Transactions, after.RowWrites - before.RowWrites, after.Messages - before.Messages);
    }
}
