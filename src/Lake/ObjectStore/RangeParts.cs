namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// Cuts a large ranged read into parts read concurrently: one stream (an S3 GET, a pread) runs at the pace of one
/// connection or one core, where several keep the network, or every core, busy.
/// </summary>
internal static class RangeParts
{
    public static async Task ReadAsync(long offset, Memory<byte> destination, int partBytes, int concurrency,
        Func<long, Memory<byte>, CancellationToken, Task> readPart, CancellationToken ct)
    {
        if (destination.Length <= partBytes)
        {
            await readPart(offset, destination, ct);
            return;
        }
        var parts = (destination.Length + partBytes - 1) / partBytes;
        await Parallel.ForAsync(0, parts, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (part, token) =>
        {
            var start = part * partBytes;
            await readPart(offset + start, destination.Slice(start, Math.Min(partBytes, destination.Length - start)), token);
        });
    }
}
