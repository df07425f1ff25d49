using AiPlatform.ScriptRunner;
using AiPlatform.ScriptRunner.TorchSharp;
using TorchSharp;
using TorchSharp.PyBridge;

// A runner child for scripts that say `// engine: torchsharp`; the worker starts it as it starts its own runners.
// Scripts compile against TorchSharp instead of the own engine (never both: the own engine's types are not referenced,
// so nothing here loads Debian's libtorch beside LibTorch 2.10).
if (!args.Contains(RunnerLaunch.RunnerModeFlag))
{
    Console.Error.WriteLine($"This is the TorchSharp script runner that workers start (with {RunnerLaunch.RunnerModeFlag}); it is not run by hand.");
    return 2;
}
TypeTaggedStateDicts.Register();
var cacheDirectory = Environment.GetEnvironmentVariable("Worker__ScriptCacheDirectory") ?? PrivateDirectory.DefaultFor("script-cache");
var surface = ScriptSurface.WithEngine(
    [typeof(torch).Assembly, typeof(PyBridgeModuleExtensions).Assembly, typeof(DataLoader).Assembly],
    ["TorchSharp", "TorchSharp.PyBridge", "TorchSharp.torch", "AiPlatform.ScriptRunner.TorchSharp"]);
return await RunnerChild.RunAsync(cacheDirectory, surface);
