using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Lux.Benchmarks.E2e;

/// <summary>
/// A process the benchmark started (a DotNext node, an etcd member). It is stopped by closing its standard input and
/// sending SIGTERM, killed with its children when it does not exit in time, and killed in any case when the benchmark
/// process exits, so a failed or interrupted run leaves nothing behind.
/// </summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private const int RecentLines = 40;
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private static readonly ConcurrentDictionary<ChildProcess, byte> Live = new();
    private readonly Process process;
    private readonly Queue<string> recent = new();
    private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    static ChildProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var child in Live.Keys) child.Kill();
    };

    private ChildProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    public string Name { get; }

    /// <summary>The operating system's process id (for /proc/&lt;pid&gt;/stat and signals).</summary>
    public int Id => process.Id;

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited => exited.Task;

    /// <summary>The last lines it printed (both streams), for error messages.</summary>
    public string RecentOutput
    {
        get
        {
            lock (recent) return string.Join(Environment.NewLine, recent);
        }
    }

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, Action<string>? onOutputLine = null,
        IEnumerable<string>? removeEnvironmentPrefixes = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var prefix in removeEnvironmentPrefixes ?? [])
            foreach (var variable in info.Environment.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
                info.Environment.Remove(variable);
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>()) info.Environment[variable] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, onOutputLine);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, null);
        process.Exited += (_, _) => child.exited.TrySetResult();
        Live[child] = 0;
        try
        {
            process.Start();
        }
        catch
        {
            Live.TryRemove(child, out _);
            process.Dispose();
            throw;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnLine(string? line, Action<string>? onOutputLine)
    {
        if (line is null) return;
        lock (recent)
        {
            recent.Enqueue(line);
            if (recent.Count > RecentLines) recent.Dequeue();
        }
        onOutputLine?.Invoke(line);
    }

    /// <summary>Asks the process to stop (standard input closed, SIGTERM) and kills it if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!exited.Task.IsCompleted)
        {
            try
            {
                process.StandardInput.Close();
                if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) _ = SendSignal(process.Id, SigTerm);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
            }
            await Task.WhenAny(exited.Task, Task.Delay(grace));
            if (!exited.Task.IsCompleted) Kill();
            await Task.WhenAny(exited.Task, Task.Delay(grace));
        }
        Live.TryRemove(this, out _);
    }

    /// <summary>
    /// Sends SIGKILL to the process itself, at once: no walk over its children first (which takes a while on a busy
    /// machine), so the kill happens when the caller says it does. Returns whether the signal was sent.
    /// </summary>
    public bool Crash() => !exited.Task.IsCompleted && SendSignal(process.Id, SigKill) == 0;

    /// <summary>Kills the process and its children at once (SIGKILL on Linux), as a crash would, without waiting for it.</summary>
    public void Kill()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
