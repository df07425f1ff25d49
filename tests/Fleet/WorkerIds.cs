namespace AiPlatform.Fleet;

/// <summary>What a worker's id says: it reads <c>&lt;kind&gt;-&lt;host&gt;-&lt;pid&gt;-&lt;suffix&gt;</c>.</summary>
public static class WorkerIds
{
    /// <summary>The process id of the worker (its log is named after it too).</summary>
    public static int ProcessIdOf(string workerId) => int.Parse(workerId.Split('-')[^2]);
}
