using Xunit;

// Every test here restarts the shared services or kills the fleet's processes: they run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
