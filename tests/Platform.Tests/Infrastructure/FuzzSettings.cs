namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>
/// Fuzz runs are seeded and sized for CI by default; <c>AIP_FUZZ_SCALE=20</c> runs twenty times as many cases and
/// <c>AIP_FUZZ_SEED=n</c> explores another sequence (a failure message names the seed and case to replay it).
/// </summary>
public static class FuzzSettings
{
    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("AIP_FUZZ_SEED"), out var seed) ? seed : 13;

    public static int Cases(int inCi) =>
        inCi * (int.TryParse(Environment.GetEnvironmentVariable("AIP_FUZZ_SCALE"), out var scale) && scale > 0 ? scale : 1);
}
