using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AiPlatform.Fleet;

/// <summary>A gateway or worker started as a real process, its output kept in a log file for when a test fails.</summary>
public sealed partial class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ManagedProcess(Process process, StreamWriter log, string name)
    {
        _process = process;
        _log = log;
        Name = name;
    }

    public string Name { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string LogPath { get; private init; } = "";

    /// <summary>True when the process exited within the time.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public static ManagedProcess Start(string name, string dll, IReadOnlyDictionary<string, string> environment, string logDirectory) =>
        StartCommand(name, "dotnet", [dll], Path.GetDirectoryName(dll)!, environment, logDirectory);

    /// <summary>Any program, e.g. eng/fleet.sh's supervisor under bash.</summary>
    public static ManagedProcess StartCommand(string name, string program, IReadOnlyList<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var logPath = Path.Combine(logDirectory, $"{name}-{process.Id}.log");
        var log = new StreamWriter(new FileStream(logPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ManagedProcess(process, log, name) { LogPath = logPath };
    }

    /// <summary>kill -9: the process gets no chance to clean up or say goodbye.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: false);
    }

    /// <summary>SIGTERM: the graceful shutdown an orchestrator asks for.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        Signal(_process.Id, SigTerm);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    public const int SigTerm = 15;

    /// <summary>SIGSTOP and SIGCONT: a process frozen (a long pause, a slow reconnect) and thawed.</summary>
    public const int SigStop = 19, SigCont = 18;

    [LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Signal(int pid, int signal);
}
