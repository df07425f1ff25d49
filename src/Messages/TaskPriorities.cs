namespace AiPlatform.Messages;

/// <summary>
/// A task's priority, sent as its command's message priority: the broker hands a waiting command of a higher priority
/// to the next free worker of its kind before the ones of lower priority, whatever their order of arrival.
/// </summary>
public static class TaskPriorities
{
    /// <summary>The default, and the lowest.</summary>
    public const byte Default = 0;

    /// <summary>The highest; also the task queues' <c>x-max-priority</c>.</summary>
    public const byte Max = 9;
}
