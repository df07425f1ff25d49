/// <summary>Latency percentiles for the benchmarks' reports, by the nearest-rank method.</summary>
internal static class Percentile
{
    public static double Of(IReadOnlyCollection<double> values, double percentile)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Clamp(Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
