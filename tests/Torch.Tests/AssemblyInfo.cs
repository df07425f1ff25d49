using Xunit;

// Live-tensor counts and the manual seed are process-wide: these tests must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
