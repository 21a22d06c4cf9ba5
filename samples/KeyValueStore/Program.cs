using Lux.Orleans.Server;
using Lux.Samples;
using Lux.Samples.KeyValueStore;

// Modes: (none) the main job on a local three-silo cluster; "silo" one silo (the Lux.Orleans.Server host);
// "client" the workload against silos started by hand.
try
{
    return args.FirstOrDefault() switch
    {
        "silo" => await SiloMode(args[1..]),
        "client" => await ClientMode(new SampleArguments(args[1..], ["--gateways", "--cluster-id", "--seconds", "--writers", "--keys", "--partition"], [])),
        "--help" or "-h" => Help(),
        _ => await DemoMode(new SampleArguments(args.Where(a => !IsSiloOption(a)), ["--data", "--protocol", "--before", "--after", "--writers", "--keys", "--base-port"], ["--keep-data"]),
            args.Where(IsSiloOption).ToArray()),
    };
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"KeyValueStore: {e.Message} Run with --help for the options.");
    return 2;
}

// Lux settings for every silo of the demo, passed through as they are (e.g. --Lux:AttemptTimeout=00:00:02).
static bool IsSiloOption(string arg) => arg.StartsWith("--Lux:", StringComparison.OrdinalIgnoreCase) && arg.Contains('=', StringComparison.Ordinal);

static int Help()
{
    Console.WriteLine("""
        KeyValueStore: the Lux.Orleans main job.

          (no mode)  start 3 silos as child processes, run a key-value workload, SIGKILL the leader's silo, verify.
                     --data <dir> (default: a fresh temp dir, removed afterwards unless --keep-data)
                     --protocol tcp|http  --before <s> (10)  --after <s> (10)  --writers <n> (16)  --keys <n per writer> (16)
                     --base-port <p> (fixed ports: silos p.., gateways p+100.., peers p+200..; default: free ports)
                     --Lux:Setting=value (passed to every silo, e.g. --Lux:AttemptTimeout=00:00:02)
          silo       one silo: the Lux.Orleans.Server options (--name, --data, --silo-port, --gateway-port, --peer-port,
                     --primary, --protocol, --cluster-id, ...); see docs/operations.md.
          client     the workload against silos you started: --gateways 30000,30001,30002 --cluster-id lux --seconds 60
                     --writers 16 --keys 16 --partition kv-demo. Ctrl+C ends the run early and verifies.
        Exit code 0 only if no acknowledged write was lost and no read was stale.
        """);
    return 0;
}

static async Task<int> SiloMode(string[] args)
{
    // Started by the demo: the silo exits when the demo does (its standard input closes), even if the demo was killed.
    var exitWithParent = args.Contains("--exit-with-parent");
    using var stopping = new CancellationTokenSource();
    if (exitWithParent)
    {
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is not null)
            {
            }
            await stopping.CancelAsync();
        });
    }
    return await LuxServer.RunAsync(args.Where(a => a != "--exit-with-parent").ToArray(), Console.Error, stopping.Token);
}

static async Task<int> DemoMode(SampleArguments options, string[] siloOptions)
{
    var protocol = options.Text("--protocol", "tcp").ToLowerInvariant();
    if (protocol is not ("tcp" or "http")) throw new ArgumentException($"--protocol {protocol} is not tcp or http.");
    var demo = DemoOptionsFrom(options) with
    {
        BeforeKill = TimeSpan.FromSeconds(options.Number("--before", 10, 1, 3600)),
        AfterKill = TimeSpan.FromSeconds(options.Number("--after", 10, 1, 3600)),
    };
    var keep = options.Has("--keep-data") || options.Has("--data");
    var dataRoot = Path.GetFullPath(options.Text("--data", Path.Combine(Path.GetTempPath(), $"lux-kv-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}")));
    var silos = LocalPorts.Plan(3, options.Has("--base-port") ? options.Number("--base-port", 0, 1024, 65000) : null);
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };

    Console.WriteLine($"Lux.Orleans key-value store: 3 silos on this machine, localhost clustering, LiteDB WAL (fsync on) in {dataRoot}");
    Console.WriteLine($"silo1 is the primary silo: it holds Orleans' membership table, so the demo never kills it (the leader is moved off it first).");
    SiloProcessCluster? cluster = null;
    try
    {
        cluster = await SiloProcessCluster.StartAsync(dataRoot, silos, protocol, siloOptions, line => Console.WriteLine((demo.LiveProgress ? "\r" : "") + ("         " + line).PadRight(demo.LiveProgress ? 118 : 0)), TimeSpan.FromSeconds(120), cancel.Token);
        var result = await new FailoverDemo(cluster, demo, Console.Out).RunAsync(cancel.Token);
        FailoverDemo.PrintSummary(result, Console.Out);
        return result.Passed ? 0 : 1;
    }
    catch (OperationCanceledException) when (cancel.IsCancellationRequested)
    {
        Console.WriteLine("cancelled");
        return 130;
    }
    catch (Exception e) when (e is TimeoutException or InvalidOperationException)
    {
        await Console.Error.WriteLineAsync($"KeyValueStore: {e.Message}");
        if (cluster is not null)
        {
            foreach (var silo in cluster.Silos) await Console.Error.WriteLineAsync($"--- {silo}.log (last lines) ---{Environment.NewLine}{cluster.LogTail(silo)}");
        }
        return 1;
    }
    finally
    {
        if (cluster is not null) await cluster.DisposeAsync();
        if (!keep)
        {
            try
            {
                Directory.Delete(dataRoot, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        else Console.WriteLine($"data and silo logs kept in {dataRoot}");
    }
}

static async Task<int> ClientMode(SampleArguments options)
{
    var gateways = options.Text("--gateways", "30000,30001,30002").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Select(p => int.TryParse(p, out var port) && port is > 0 and < 65536 ? port : throw new ArgumentException($"--gateways: '{p}' is not a port.")).ToArray();
    var clusterId = options.Text("--cluster-id", "lux");
    var demo = DemoOptionsFrom(options) with
    {
        PartitionId = options.Text("--partition", "kv-demo"),
        KillLeader = false,
        BeforeKill = TimeSpan.FromSeconds(options.Number("--seconds", 60, 1, 86400)),
        StepTimeout = TimeSpan.FromSeconds(120),
    };
    using var cancel = new CancellationTokenSource();
    using var finish = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        if (finish.IsCancellationRequested) cancel.Cancel();
        else finish.Cancel();
    };
    Console.WriteLine($"connecting to gateways {string.Join(", ", gateways)} (cluster '{clusterId}') ...");
    await using var client = await LocalClusterClient.ConnectAsync(gateways, clusterId, clusterId, TimeSpan.FromSeconds(60), cancel.Token);
    Console.WriteLine($"running for {demo.BeforeKill.TotalSeconds:F0} s; kill a silo other than the primary (silo1) with kill -9; Ctrl+C finishes early and verifies");
    var result = await new FailoverDemo(new ConnectedCluster(client.Client), demo, Console.Out).RunAsync(cancel.Token, finish.Token);
    FailoverDemo.PrintSummary(result, Console.Out);
    return result.Passed ? 0 : 1;
}

static DemoOptions DemoOptionsFrom(SampleArguments options) => new()
{
    Workload = new WorkloadOptions { Writers = options.Number("--writers", 16, 1, 1024), KeysPerWriter = options.Number("--keys", 16, 1, 100_000) },
    LiveProgress = !Console.IsOutputRedirected,
};

/// <summary>A cluster someone else started: the demo only connects to it and never kills anything.</summary>
internal sealed class ConnectedCluster(IClusterClient client) : IDemoCluster
{
    public IClusterClient Client => client;

    public IReadOnlyList<string> Silos => [];

    public string PrimarySilo => "silo1";

    public Task<string> KillAsync(string silo, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("this run kills nothing; kill silos by hand");

    public Task<string> RestartAsync(string silo, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("this run restarts nothing; restart silos by hand");
}
