using Cronos;

namespace AiPlatform.Gateway.Pipelines.Scheduling;

/// <summary>
/// When a pipeline runs by itself: a cron expression (five fields, minute first, or six with seconds first) read in a
/// time zone (an IANA name, UTC by default), so <c>0 2 * * *</c> in <c>Europe/Paris</c> is 2 am there, summer and winter.
/// </summary>
public sealed record ScheduleDefinition
{
    public string Cron { get; init; } = "";
    public string TimeZone { get; init; } = "UTC";

    /// <summary>The parsed schedule, or why it is not one (for the create's 400).</summary>
    public (CronSchedule? Schedule, string? Error) Parse()
    {
        var fields = Cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
            return (null, $"schedule.cron '{Cron}' must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); it has {fields}");
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(Cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            return (null, $"schedule.cron '{Cron}' is not a cron expression: {e.Message}");
        }
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return (null, $"schedule.time_zone '{TimeZone}' is not a known time zone (an IANA name such as UTC or Europe/Paris)");
        }
        var schedule = new CronSchedule(expression, zone);
        return schedule.Next(DateTimeOffset.UtcNow) is null
            ? (null, $"schedule.cron '{Cron}' never fires")
            : (schedule, null);
    }
}

/// <summary>Occurrences in UTC: the database stores timestamps in UTC only.</summary>
public sealed class CronSchedule(CronExpression expression, TimeZoneInfo zone)
{
    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) => expression.GetNextOccurrence(after, zone)?.ToUniversalTime();

    /// <summary>Every occurrence from <paramref name="from"/> to <paramref name="to"/>, both included.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset from, DateTimeOffset to) =>
        expression.GetOccurrences(from, to, zone, fromInclusive: true, toInclusive: true).Select(o => o.ToUniversalTime());
}
