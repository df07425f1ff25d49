using System.Text;
using System.Text.Json;
using AiPlatform.Lake.Catalog;
using AiPlatform.ScriptApi;

namespace AiPlatform.ScriptRunner;

/// <summary>
/// The script-runner process: reads commands from stdin, runs one script at a time, writes events to stdout.
/// Living in its own process is what lets the worker survive scripts that crash, leak or ignore cancellation.
/// </summary>
public sealed class RunnerChild
{
    private static readonly TimeSpan OrphanGracePeriod = TimeSpan.FromSeconds(5);

    private readonly ScriptCompiler _compiler;
    private readonly Stream _protocolOut;
    private readonly Lock _writeLock = new();
    private readonly Lock _reportLock = new();
    private CancellationTokenSource? _running;
    private volatile ServingSlot? _serving;
    private readonly Lazy<LakeCatalog> _lake = new(() => new LakeCatalog(LakeSettings.FromEnvironment()));
    private readonly LakeTrafficRecorder _lakeTraffic = new();

    private RunnerChild(ScriptCompiler compiler, Stream protocolOut)
    {
        _compiler = compiler;
        _protocolOut = protocolOut;
    }

    /// <param name="surface">What scripts compile against here: the own engine's surface unless this runner hosts another engine.</param>
    public static async Task<int> RunAsync(string cacheDirectory, ScriptSurface? surface = null)
    {
        var protocolOut = Console.OpenStandardOutput();
        var child = new RunnerChild(new ScriptCompiler(cacheDirectory, surface), protocolOut);
        // Scripts that write to the console must not corrupt the protocol: their output becomes log events.
        Console.SetOut(new LogWriter(child, "info"));
        Console.SetError(new LogWriter(child, "warning"));
        child.Emit(new RunnerReady(Environment.ProcessId));
        using var stopReporting = new CancellationTokenSource();
        var reporting = child.ReportLakeTrafficPeriodicallyAsync(stopReporting.Token);

        using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        var pending = new List<Task>();
        while (await input.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            var command = JsonSerializer.Deserialize<RunnerCommand>(line, ProtocolJson.Options);
            switch (command)
            {
                case RunScript run:
                    // The token exists before the next command is read, so a cancel right behind the run is never lost.
                    var cancellation = new CancellationTokenSource();
                    child._running = cancellation;
                    pending.Add(Task.Run(() => child.RunScriptAsync(run, cancellation)));
                    break;
                case CancelScript:
                    child._running?.Cancel();
                    break;
                case PredictRequest predict:
                    pending.Add(child.AnswerAsync(predict));
                    break;
                case SwapModel swap:
                    pending.Add(child.SwapAsync(swap));
                    break;
            }
            pending.RemoveAll(t => t.IsCompleted);
        }
        // The worker is gone (stdin closed): stop the script, and do not outlive the worker if the script ignores that.
        child._running?.Cancel();
        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(OrphanGracePeriod));
        await stopReporting.CancelAsync();
        await reporting;
        child.ReportLakeTraffic();
        return 0;
    }

    /// <summary>Long scripts and serving replicas report their lake traffic as it happens, not only when they end.</summary>
    private async Task ReportLakeTrafficPeriodicallyAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct)) ReportLakeTraffic();
        }
        catch (OperationCanceledException)
        {
            // The runner is ending; its last traffic is reported after this.
        }
    }

    private void ReportLakeTraffic()
    {
        // Drained and written under one lock: traffic the timer drained is on the wire before an outcome that follows.
        lock (_reportLock)
            if (_lakeTraffic.Drain() is { } traffic) Emit(traffic);
    }

    /// <summary>A script's end, after its lake traffic: the task's reads and writes are counted before it is reported ended.</summary>
    private void EmitOutcome(RunnerEvent outcome)
    {
        lock (_reportLock)
        {
            ReportLakeTraffic();
            Emit(outcome);
        }
    }

    private async Task RunScriptAsync(RunScript run, CancellationTokenSource cancellation)
    {
        try
        {
            var entry = await RunnerSpans.TimeAsync(run.TraceParent, "compile script",
                () => Task.FromResult(_compiler.Load(run.ScriptPath, run.ScriptSource)), Emit);
            var context = new ChildScriptContext(run, cancellation.Token, Emit, _lake);
            var globals = new ScriptGlobals
            {
                Input = run.Input, Output = run.Output, Params = ScriptParams.Parse(run.ParamsJson), Context = context, Model = run.Model,
            };
            // For a serving script, until its predictor is ready.
            var result = await RunnerSpans.TimeAsync(run.TraceParent, "run script", async () => await UnwrapAsync(await entry(globals)), Emit);
            if (run.Serve)
            {
                // A swap runs the same script, in the same context, on another model version.
                await ServeUntilCancelledAsync(new ServingSlot(result, run.Input ?? "",
                    async model => await UnwrapAsync(await entry(new ScriptGlobals
                    {
                        Input = model, Output = globals.Output, Params = globals.Params, Context = context,
                    }))), cancellation.Token);
                return;
            }
            cancellation.Token.ThrowIfCancellationRequested();
            EmitOutcome(new ScriptCompleted(context.ResultJson(result)));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            EmitOutcome(new ScriptCancelled("cancelled by request"));
        }
        catch (Exception e)
        {
            EmitOutcome(new ScriptFailed(Describe(e)));
        }
        finally
        {
            // Not disposed: a cancel arriving as the script ends may still hold it, and a plain source owns nothing.
            Interlocked.CompareExchange(ref _running, null, cancellation);
        }
    }

    private async Task ServeUntilCancelledAsync(ServingSlot serving, CancellationToken cancellation)
    {
        _serving = serving;
        Emit(new ScriptServing());
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        finally
        {
            _serving = null;
            await serving.DisposeAsync();
        }
    }

    private async Task AnswerAsync(PredictRequest request)
    {
        try
        {
            var serving = _serving ?? throw new InvalidOperationException("this replica is not serving a model");
            var (answer, model) = await serving.PredictAsync(request.Body);
            Emit(new PredictReply(request.RequestId, answer.Json, null, false, model, answer.FirstOfBatch ? answer.BatchSize : null));
        }
        catch (InvalidInputException e)
        {
            Emit(new PredictReply(request.RequestId, null, e.Message, true));
        }
        catch (Exception e)
        {
            Emit(new PredictReply(request.RequestId, null, Describe(e), false));
        }
    }

    private async Task SwapAsync(SwapModel swap)
    {
        try
        {
            var serving = _serving ?? throw new InvalidOperationException("this replica is not serving a model");
            await serving.SwapAsync(swap.Input);
            Emit(new ModelSwapped(swap.Input));
        }
        catch (Exception e)
        {
            Emit(new ModelSwapFailed(swap.Input, Describe(e)));
        }
    }

    private static async Task<object?> UnwrapAsync(object? value)
    {
        if (value is not Task task) return value;
        await task;
        var type = task.GetType();
        return type.IsGenericType ? type.GetProperty(nameof(Task<object>.Result))!.GetValue(task) : null;
    }

    private static string Describe(Exception e)
    {
        if (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = inner;
        if (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerExceptions[0];
        var message = e is ScriptCompilationException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        return ClientMessages.Redact(message, [Environment.GetEnvironmentVariable("Lake__Root")]);
    }

    internal void Emit(RunnerEvent runnerEvent)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(runnerEvent, ProtocolJson.Options);
        lock (_writeLock)
        {
            _protocolOut.Write(line);
            _protocolOut.WriteByte((byte)'\n');
            _protocolOut.Flush();
        }
    }

    private sealed class LogWriter(RunnerChild child, string level) : TextWriter
    {
        private readonly StringBuilder _line = new();
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value == '\n')
                {
                    child.Emit(new ScriptLogged(level, _line.ToString().TrimEnd('\r')));
                    _line.Clear();
                }
                else _line.Append(value);
            }
        }
    }
}
