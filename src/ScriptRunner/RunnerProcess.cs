using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AiPlatform.Lake.Metrics;

namespace AiPlatform.ScriptRunner;

/// <summary>The worker's handle on one script-runner child process.</summary>
public sealed class RunnerProcess : IAsyncDisposable
{
    private const int StderrTailLength = 4000;

    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<PredictReply>> _predictions = new();
    private readonly StringBuilder _stderrTail = new();
    private readonly Lock _writeLock = new();
    private TaskCompletionSource<ScriptOutcome>? _outcome;
    private TaskCompletionSource? _serving;
    private TaskCompletionSource? _swap;
    private IScriptObserver? _observer;
    private long _nextRequestId;

    private RunnerProcess(Process process) => _process = process;

    public int ProcessId => _process.Id;
    public int TasksRun { get; private set; }
    public bool HasExited => _exited.Task.IsCompleted;

    public static async Task<RunnerProcess> StartAsync(RunnerLaunch launch, TimeSpan startTimeout)
    {
        var process = Process.Start(launch.ToStartInfo()) ?? throw new InvalidOperationException("could not start the script runner");
        var runner = new RunnerProcess(process);
        // A pooled runner outlives the task it was started in: its readers must not carry that task's log scope and
        // span (flowing AsyncLocals) into the events of every later task it runs.
        using (ExecutionContext.SuppressFlow())
        {
            _ = runner.ReadEventsAsync();
            _ = runner.ReadStderrAsync();
        }
        var first = await Task.WhenAny(runner._ready.Task, runner._exited.Task, Task.Delay(startTimeout));
        if (first == runner._ready.Task) return runner;
        runner.Kill();
        throw new InvalidOperationException($"script runner did not start within {startTimeout.TotalSeconds:0} s: {runner.StderrTail()}");
    }

    /// <summary>
    /// Runs a script to its end. When <paramref name="cancellation"/> fires, the script's token is cancelled; if it has
    /// not stopped after <paramref name="gracePeriod"/>, the process is killed.
    /// </summary>
    public async Task<ScriptOutcome> RunAsync(RunScript run, IScriptObserver observer, TimeSpan gracePeriod, CancellationToken cancellation)
    {
        var outcome = BeginRun(run, observer);
        await using var registration = cancellation.Register(() => _ = CancelAsync(outcome.Task, gracePeriod));
        return await outcome.Task;
    }

    /// <summary>Starts a serving script and returns once its predictor is ready; the returned task ends when serving ends.</summary>
    public async Task<Task<ScriptOutcome>> StartServingAsync(RunScript run, IScriptObserver observer, TimeSpan gracePeriod,
        CancellationToken cancellation)
    {
        _serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outcome = BeginRun(run with { Serve = true }, observer);
        cancellation.Register(() => _ = CancelAsync(outcome.Task, gracePeriod));
        var first = await Task.WhenAny(_serving.Task, outcome.Task);
        if (first == outcome.Task)
        {
            var ended = await outcome.Task;
            throw new InvalidOperationException(ended is ScriptOutcome.Failed failed ? failed.Error : $"serving script ended: {ended}");
        }
        return outcome.Task;
    }

    /// <summary>Hands one predict request's body to the serving script; the reply holds its answer or why it has none.</summary>
    public async Task<PredictReply> PredictAsync(string body, CancellationToken cancellation)
    {
        var id = Interlocked.Increment(ref _nextRequestId);
        var reply = new TaskCompletionSource<PredictReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _predictions[id] = reply;
        try
        {
            Send(new PredictRequest(id, body));
            return await reply.Task.WaitAsync(cancellation);
        }
        finally
        {
            _predictions.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Has the serving script load <paramref name="model"/> and serve it in place of the current version; returns when
    /// the new version answers. One swap at a time. Throws if the script could not load it (the old version keeps serving).
    /// </summary>
    public async Task SwapModelAsync(string model, CancellationToken cancellation)
    {
        var swap = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _swap, swap, null) is not null) throw new InvalidOperationException("a swap is already under way");
        try
        {
            Send(new SwapModel(model));
            await swap.Task.WaitAsync(cancellation);
        }
        finally
        {
            Interlocked.CompareExchange(ref _swap, null, swap);
        }
    }

    private TaskCompletionSource<ScriptOutcome> BeginRun(RunScript run, IScriptObserver observer)
    {
        if (_outcome is { Task.IsCompleted: false }) throw new InvalidOperationException("this runner is already running a script");
        TasksRun++;
        _observer = observer;
        var outcome = new TaskCompletionSource<ScriptOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _outcome = outcome;
        Send(run);
        return outcome;
    }

    private async Task CancelAsync(Task<ScriptOutcome> running, TimeSpan gracePeriod)
    {
        if (running.IsCompleted) return;
        try
        {
            Send(new CancelScript("cancelled by request"));
        }
        catch (IOException)
        {
            // The child is already gone; the exit handler reports the outcome.
        }
        if (await Task.WhenAny(running, Task.Delay(gracePeriod)) == running) return;
        _outcome?.TrySetResult(new ScriptOutcome.Cancelled(
            $"stopped: the script did not honour cancellation within {gracePeriod.TotalSeconds:0.#} s, its process was killed"));
        Kill();
    }

    private void Send(RunnerCommand command)
    {
        var line = JsonSerializer.Serialize(command, ProtocolJson.Options);
        lock (_writeLock)
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }
    }

    private async Task ReadEventsAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.Length == 0) continue;
                Dispatch(JsonSerializer.Deserialize<RunnerEvent>(line, ProtocolJson.Options)!);
            }
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            lock (_stderrTail) _stderrTail.Append($"[protocol error: {e.Message}]");
        }
        await _process.WaitForExitAsync();
        // Let the stderr reader drain so the crash message below has the child's last words.
        await Task.Delay(50);
        var reason = $"script runner process exited unexpectedly (exit code {_process.ExitCode})" +
                     (StderrTail() is { Length: > 0 } tail ? $": {tail}" : "");
        _outcome?.TrySetResult(new ScriptOutcome.Failed(reason));
        foreach (var pending in _predictions.Values) pending.TrySetException(new InvalidOperationException(reason));
        _swap?.TrySetException(new InvalidOperationException(reason));
        _exited.TrySetResult();
    }

    private void Dispatch(RunnerEvent runnerEvent)
    {
        switch (runnerEvent)
        {
            case RunnerReady: _ready.TrySetResult(); break;
            case ScriptProgressed progress: _observer?.OnProgress(progress); break;
            case ScriptLogged log: _observer?.OnLog(log); break;
            case ScriptServing: _serving?.TrySetResult(); break;
            case ScriptCompleted completed: _outcome?.TrySetResult(new ScriptOutcome.Completed(completed.ResultJson)); break;
            case ScriptFailed failed: _outcome?.TrySetResult(new ScriptOutcome.Failed(failed.Error)); break;
            case ScriptCancelled cancelled: _outcome?.TrySetResult(new ScriptOutcome.Cancelled(cancelled.Reason)); break;
            case LakeTraffic traffic:
                foreach (var count in traffic.Counts) LakeMetrics.Add(count.Instrument, count.Tag, count.Value, count.Amount);
                break;
            case SpanRecorded span: RunnerSpans.Export(span, ProcessId); break;
            case ModelSwapped: _swap?.TrySetResult(); break;
            case ModelSwapFailed failed: _swap?.TrySetException(new InvalidOperationException($"could not serve {failed.Input}: {failed.Error}")); break;
            case PredictReply reply when _predictions.TryGetValue(reply.RequestId, out var pending):
                pending.TrySetResult(reply);
                break;
        }
    }

    private async Task ReadStderrAsync()
    {
        var buffer = new char[1024];
        int read;
        while ((read = await _process.StandardError.ReadAsync(buffer)) > 0)
        {
            lock (_stderrTail)
            {
                _stderrTail.Append(buffer, 0, read);
                if (_stderrTail.Length > StderrTailLength) _stderrTail.Remove(0, _stderrTail.Length - StderrTailLength);
            }
        }
    }

    private string StderrTail()
    {
        lock (_stderrTail) return _stderrTail.ToString().Trim();
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
        if (await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromSeconds(2))) != _exited.Task) Kill();
        _process.Dispose();
    }
}
