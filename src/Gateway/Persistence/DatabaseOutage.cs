using MassTransit;
using Npgsql;

namespace AiPlatform.Gateway.Persistence;

/// <summary>
/// A database that is down (refusing connections, starting up, shutting down) is waited for, not blamed on the message.
/// Each endpoint's own retries are short, sized for row-version collisions; without this an event arriving during a
/// PostgreSQL restart of more than a few seconds would exhaust them and end in an error queue, lost to its task.
/// </summary>
public static class DatabaseOutage
{
    public static bool IsOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // 57P: the server is shutting down or starting up; 08: the connection failed or was cut.
                case PostgresException pg when pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal):
                case NpgsqlException { IsTransient: true }:
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// For an endpoint's own retry: leaves outages to <see cref="UseDatabaseOutageRetry"/>. A retry that took them on
    /// would give up after its few short intervals, and MassTransit lets the first retry that handles an exception
    /// own it, so the outer one would never see it.
    /// </summary>
    public static IRetryConfigurator ExceptDatabaseOutages(this IRetryConfigurator retry)
    {
        retry.Ignore<Exception>(IsOutage);
        return retry;
    }

    /// <summary>
    /// The outermost retry of each of the gateway's receive endpoints (configured first, so it wraps their own): holds a message (unacknowledged, so it is never
    /// lost) through a database outage of up to about twenty-five minutes. It checks again at most 5 s apart, so once
    /// the database is back the held messages (heartbeats among them) are through within seconds and the endpoint is
    /// free for new ones before the task monitor judges any silence.
    /// </summary>
    public static void UseDatabaseOutageRetry(this IConsumePipeConfigurator endpoint) =>
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(IsOutage);
            r.Exponential(300, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        });
}
