using System.Diagnostics;
using System.Security.Cryptography;

namespace Lux.Samples.KeyValueStore;

/// <summary>
/// A cluster of silos on this machine, each a child process running this sample in <c>silo</c> mode (the
/// Lux.Orleans.Server host), so killing one is a real SIGKILL. The first silo is the primary (it holds the membership
/// table). Each silo's output goes to <c>{data}/{silo}.log</c>. Children exit when this process goes away (their
/// standard input closes).
/// </summary>
public sealed class SiloProcessCluster : IDemoCluster, IAsyncDisposable
{
    private readonly Dictionary<string, Process> _processes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StreamWriter> _logs = new(StringComparer.Ordinal);
    private readonly string _clusterId;
    private readonly string _protocol;
    private readonly string _secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private LocalClusterClient? _client;

    private readonly IReadOnlyList<string> _siloOptions;
    private Action<string> _say = _ => { };

    private SiloProcessCluster(string dataRoot, IReadOnlyList<LocalSilo> silos, string protocol, string clusterId, IReadOnlyList<string> siloOptions)
    {
        _siloOptions = siloOptions;
        DataRoot = dataRoot;
        Layout = silos;
        _protocol = protocol;
        _clusterId = clusterId;
    }

    /// <summary>Where each silo keeps its data (<c>{root}/{silo}</c>) and log (<c>{root}/{silo}.log</c>).</summary>
    public string DataRoot { get; }

    /// <summary>The silos and their ports.</summary>
    public IReadOnlyList<LocalSilo> Layout { get; }

    /// <inheritdoc />
    public IClusterClient Client => (_client ?? throw new InvalidOperationException("not connected")).Client;

    /// <inheritdoc />
    public IReadOnlyList<string> Silos => Layout.Select(s => s.Name).ToArray();

    /// <inheritdoc />
    public string PrimarySilo => Layout[0].Name;

    /// <summary>
    /// Starts the primary, then the others, waits until each reports it is up, and connects a client.
    /// <paramref name="siloOptions"/> are passed to every silo (for example <c>--Lux:AttemptTimeout=00:00:02</c>).
    /// </summary>
    public static async Task<SiloProcessCluster> StartAsync(string dataRoot, IReadOnlyList<LocalSilo> silos, string protocol, IReadOnlyList<string> siloOptions,
        Action<string> say, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(silos);
        ArgumentNullException.ThrowIfNull(say);
        var cluster = new SiloProcessCluster(dataRoot, silos, protocol, "lux-kv-" + Environment.ProcessId, siloOptions) { _say = say };
        try
        {
            Directory.CreateDirectory(dataRoot);
            await cluster.StartSiloAsync(silos[0], startTimeout, say, cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(silos.Skip(1).Select(s => cluster.StartSiloAsync(s, startTimeout, say, cancellationToken))).ConfigureAwait(false);
            // Through the primary's gateway only: the demo never kills the primary, so the pause it measures is the
            // partition's failover. A client whose gateway silo dies waits for its response timeout on the calls it had
            // in flight there, on top of the failover (the by-hand mode uses every gateway and shows that).
            cluster._client = await LocalClusterClient.ConnectAsync([silos[0].GatewayPort], cluster._clusterId, cluster._clusterId,
                startTimeout, cancellationToken).ConfigureAwait(false);
            say($"client connected through the primary's gateway {silos[0].GatewayPort}");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The command line that starts <paramref name="silo"/> of this layout (for the README's by-hand instructions).</summary>
    public static IReadOnlyList<string> SiloArguments(LocalSilo silo, LocalSilo primary, string dataRoot, string protocol, string clusterId) =>
    [
        "silo", "--name", silo.Name, "--data", Path.Combine(dataRoot, silo.Name), "--protocol", protocol,
        "--silo-port", $"{silo.SiloPort}", "--gateway-port", $"{silo.GatewayPort}", "--peer-port", $"{silo.PeerPort}",
        "--primary", $"127.0.0.1:{primary.SiloPort}", "--cluster-id", clusterId, "--service-id", clusterId, "--state-machines", "kv,log",
    ];

    /// <inheritdoc />
    public async Task<string> KillAsync(string silo, CancellationToken cancellationToken)
    {
        var process = _processes[silo];
        var pid = process.Id;
        process.Kill(entireProcessTree: false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return $"{silo} (pid {pid}, SIGKILL)";
    }

    /// <inheritdoc />
    public async Task<string> RestartAsync(string silo, CancellationToken cancellationToken)
    {
        if (_processes.Remove(silo, out var old)) old.Dispose();
        await StartSiloAsync(Layout.Single(s => s.Name == silo), TimeSpan.FromSeconds(120), _say, cancellationToken).ConfigureAwait(false);
        return $"{silo} (pid {_processes[silo].Id})";
    }

    /// <summary>The last lines of a silo's log, to show why it failed.</summary>
    public string LogTail(string silo, int lines = 15)
    {
        var path = Path.Combine(DataRoot, silo + ".log");
        lock (_logs)
        {
            if (_logs.TryGetValue(silo, out var log)) log.Flush();
        }
        return File.Exists(path) ? string.Join(Environment.NewLine, File.ReadLines(path).TakeLast(lines)) : "(no log)";
    }

    /// <summary>Stops the client, asks every silo still running to stop (closing its input), and kills those that do not.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_processes.Values.Select(StopAsync)).ConfigureAwait(false);
        lock (_logs)
        {
            foreach (var log in _logs.Values) log.Dispose();
            _logs.Clear();
        }
    }

    private static async Task StopAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close();
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            process.Dispose();
        }
    }

    private async Task StartSiloAsync(LocalSilo silo, TimeSpan timeout, Action<string> say, CancellationToken cancellationToken)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StreamWriter log;
        lock (_logs)
        {
            if (_logs.Remove(silo.Name, out var previous)) previous.Dispose();
            log = new StreamWriter(Path.Combine(DataRoot, silo.Name + ".log"), append: true) { AutoFlush = false };
            _logs[silo.Name] = log;
        }
        var start = SelfStartInfo();
        foreach (var argument in SiloArguments(silo, Layout[0], DataRoot, _protocol, _clusterId)) start.ArgumentList.Add(argument);
        foreach (var option in _siloOptions) start.ArgumentList.Add(option);
        start.ArgumentList.Add("--exit-with-parent");
        start.Environment["LUX_Lux__ClusterSecret"] = _secret;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var marker = $"Silo {silo.Name} is up";
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null) return;
            lock (_logs) log.WriteLine(e.Data);
            if (e.Data.Contains(marker, StringComparison.Ordinal)) up.TrySetResult();
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Exited += (_, _) => up.TrySetException(new InvalidOperationException($"{silo.Name} exited with code {process.ExitCode} while starting"));
        process.Start();
        _processes[silo.Name] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        say($"started {silo.Name} (pid {process.Id}{(silo == Layout[0] ? ", primary" : "")}): silo port {silo.SiloPort}, gateway {silo.GatewayPort}, peer {_protocol} {silo.PeerPort}");
        try
        {
            await up.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{silo.Name} did not come up ({e.Message}). Its log ends with:{Environment.NewLine}{LogTail(silo.Name)}", e);
        }
        say($"{silo.Name} is up");
    }

    /// <summary>How to start this very program again: its apphost, or <c>dotnet</c> with its assembly.</summary>
    private static ProcessStartInfo SelfStartInfo()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this process is unknown");
        var start = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(typeof(SiloProcessCluster).Assembly.Location);
        return start;
    }
}
