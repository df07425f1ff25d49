using System.Text.Json.Nodes;

namespace Platform.Bench;

/// <summary>
/// One task's way from the POST to its script running, from the stamps the platform records: the row's creation,
/// the dispatch timings the worker puts on TaskStarted, and the first event the script itself raised.
/// </summary>
internal sealed record DispatchTrace(
    DateTimeOffset Posted, DateTimeOffset Answered, DateTimeOffset Created, DateTimeOffset CommandSent, DateTimeOffset Received,
    DateTimeOffset Claimed, DateTimeOffset Started, DateTimeOffset ScriptRunning)
{
    public double ToStarted => (Started - Posted).TotalMilliseconds;
    public double ToScriptRunning => (ScriptRunning - Posted).TotalMilliseconds;

    public static DispatchTrace From(DateTimeOffset posted, DateTimeOffset answered, JsonNode task, JsonArray events)
    {
        var started = events.First(e => Kind(e) == "started")!;
        var dispatch = started["data"]!["dispatch"] ?? throw new InvalidOperationException("TaskStarted carries no dispatch timings");
        var scriptEvent = events.First(e => Kind(e) is "progressed" or "logged")!;
        return new DispatchTrace(posted, answered, Time(task["created_at"]), Time(dispatch["command_sent_at"]), Time(dispatch["received_at"]),
            Time(dispatch["claimed_at"]), Time(started["timestamp"]), Time(scriptEvent["timestamp"]));
    }

    public static bool IsComplete(JsonArray events) =>
        events.Any(e => Kind(e) == "started") && events.Any(e => Kind(e) is "progressed" or "logged");

    private static string Kind(JsonNode? e) => e!["kind"]!.GetValue<string>();

    private static DateTimeOffset Time(JsonNode? value) =>
        value?.GetValue<DateTimeOffset>() ?? throw new InvalidOperationException("a dispatch stamp is missing");
}

internal static class DispatchBreakdown
{
    private static readonly (string Stage, Func<DispatchTrace, TimeSpan> Duration)[] Stages =
    [
        ("HTTP request read, authenticated, validated", t => t.Created - t.Posted),
        ("row inserted and committed, command sent by the gateway", t => t.CommandSent - t.Created),
        ("command through the broker to the worker's consumer", t => t.Received - t.CommandSent),
        ("claim: request to the gateway, one conditional update, answer", t => t.Claimed - t.Received),
        ("worker stamps TaskStarted", t => t.Started - t.Claimed),
        ("runner hand-off until the script's first event", t => t.ScriptRunning - t.Started),
    ];

    public static void Print(IReadOnlyList<DispatchTrace> traces)
    {
        Console.WriteLine($"dispatch over {traces.Count} sequential tasks on an idle fleet (p50 / p99 ms):");
        foreach (var (stage, duration) in Stages)
        {
            var values = traces.Select(t => duration(t).TotalMilliseconds).ToList();
            Console.WriteLine($"  {Percentile(values, 50),7:0.0} / {Percentile(values, 99),7:0.0}  {stage}");
        }
        Console.WriteLine($"  {Percentile(traces.Select(t => (t.Answered - t.Posted).TotalMilliseconds), 50),7:0.0} / " +
                          $"{Percentile(traces.Select(t => (t.Answered - t.Posted).TotalMilliseconds), 99),7:0.0}  (the POST's answer, 201)");
        Console.WriteLine($"  {Percentile(traces.Select(t => t.ToStarted), 50),7:0.0} / {Percentile(traces.Select(t => t.ToStarted), 99),7:0.0}  " +
                          "total POST -> TaskStarted");
        Console.WriteLine($"  {Percentile(traces.Select(t => t.ToScriptRunning), 50),7:0.0} / {Percentile(traces.Select(t => t.ToScriptRunning), 99),7:0.0}  " +
                          "total POST -> script running");
    }

    public static double Percentile(IEnumerable<double> values, double percentile)
    {
        var sorted = values.Order().ToList();
        var index = (int)Math.Ceiling(percentile / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }
}
