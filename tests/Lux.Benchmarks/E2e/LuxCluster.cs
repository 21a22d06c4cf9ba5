using System.Globalization;
using System.Security.Cryptography;
using Lux.Orleans;
using Lux.Orleans.Builtins.KeyValue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Orleans.Serialization;

namespace Lux.Benchmarks.E2e;

/// <summary>One silo process of a <see cref="LuxCluster"/>.</summary>
internal sealed record LuxSilo(string Name, ChildProcess Process, int SiloPort, int GatewayPort, bool IsPrimary);

/// <summary>
/// A Lux.Orleans cluster for the benchmarks: <c>siloCount</c> child processes of <c>src/Lux.Orleans.Server</c> (its
/// assembly lands next to the benchmark's), one data directory each, the peer channel over TCP or HTTP on 127.0.0.1,
/// Orleans localhost clustering with silo1 as the primary (it holds the membership table), the built-in key-value state
/// machine, the server's defaults otherwise (fsync on). An Orleans client in the benchmark process talks to every
/// silo's gateway. Every process started is stopped (or killed) by <see cref="DisposeAsync"/>.
/// </summary>
internal sealed class LuxCluster : IAsyncDisposable
{
    public const string StateMachine = KeyValueStateMachine.DefaultName;
    private const string ServerAssembly = "Lux.Orleans.Server.dll";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);
    private readonly List<LuxSilo> silos = [];
    private readonly string clusterId;
    private IHost? clientHost;

    private LuxCluster(string protocol)
    {
        Protocol = protocol;
        clusterId = $"lux-bench-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
    }

    public string Protocol { get; }

    public IReadOnlyList<LuxSilo> Silos => silos;

    public IClusterClient Client => clientHost?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("the cluster is not started");

    public static string ServerPath => Path.Combine(AppContext.BaseDirectory, ServerAssembly);

    public static string? MissingPrerequisite() =>
        File.Exists(ServerPath) ? null : $"{ServerAssembly} not found next to the benchmark ({AppContext.BaseDirectory}); build tests/Lux.Benchmarks";

    /// <summary>Starts the silos, waits until each says it is up, and connects the client.</summary>
    public static async Task<LuxCluster> StartAsync(string protocol, int siloCount, string dataDirectory, CancellationToken cancellationToken)
    {
        var cluster = new LuxCluster(protocol);
        try
        {
            await cluster.StartSilosAsync(siloCount, dataDirectory, cancellationToken);
            await cluster.ConnectClientAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartSilosAsync(int siloCount, string dataDirectory, CancellationToken cancellationToken)
    {
        var ports = LoopbackPorts.Allocate(3 * siloCount);
        // The peer channel refuses unauthenticated peers; the secret stays out of the command line (and of ps).
        var environment = new Dictionary<string, string> { ["LUX_Lux__ClusterSecret"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) };
        var ready = new List<Task>();
        for (var i = 0; i < siloCount; i++)
        {
            var name = $"silo{i + 1}";
            int siloPort = ports[3 * i], gatewayPort = ports[3 * i + 1], peerPort = ports[3 * i + 2];
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var process = ChildProcess.Start(name, DotnetHost.Path,
            [
                ServerPath, "--name", name, "--data", Path.Combine(dataDirectory, name), "--protocol", Protocol,
                "--silo-port", Invariant(siloPort), "--gateway-port", Invariant(gatewayPort), "--peer-port", Invariant(peerPort),
                "--listen", "127.0.0.1", "--primary", $"127.0.0.1:{Invariant(ports[0])}", "--cluster-id", clusterId, "--service-id", clusterId,
                "--state-machines", StateMachine,
                // Warnings and the server's "is up" line only: console logging at Information would cost the silos CPU under load.
                "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Lux.Orleans.Server=Information",
            ], line =>
            {
                if (line.Contains(" is up: ", StringComparison.Ordinal)) up.TrySetResult();
            }, removeEnvironmentPrefixes: [ServerPrefix], environment: environment);
            silos.Add(new LuxSilo(name, process, siloPort, gatewayPort, IsPrimary: i == 0));
            ready.Add(FailOnExit(process, up.Task));
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        try
        {
            await Task.WhenAll(ready).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the silos were not up after {StartTimeout.TotalSeconds} s; last output: {string.Join(" | ", silos.Select(s => s.Process.RecentOutput))}");
        }
    }

    private const string ServerPrefix = "LUX_";

    private static async Task FailOnExit(ChildProcess process, Task ready)
    {
        if (await Task.WhenAny(ready, process.Exited) != ready)
            throw new InvalidOperationException($"{process.Name} exited before it was up: {process.RecentOutput}");
    }

    private async Task ConnectClientAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Standard output carries only the JSON lines.
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(silos.Select(s => s.GatewayPort).ToArray(), clusterId, clusterId);
            client.AddLuxRaft();
            client.Services.AddSerializer(serializer => serializer.AddAssembly(typeof(KeyValuePut).Assembly));
        });
        clientHost = builder.Build();
        await clientHost.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Creates a key-value partition with 3 replicas through the catalog, retrying while the catalog's silo does not yet
    /// see enough active silos, and returns its status once a leader is elected.
    /// </summary>
    public async Task<PartitionStatus> CreatePartitionAsync(string partitionId, CancellationToken cancellationToken, int replicationFactor = 3)
    {
        await CreatePartitionWithoutWaitingAsync(partitionId, cancellationToken, replicationFactor);
        return await WaitForLeaderAsync(partitionId, cancellationToken);
    }

    public async Task CreatePartitionWithoutWaitingAsync(string partitionId, CancellationToken cancellationToken, int replicationFactor = 3)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                await Client.GetRaftCatalog().CreatePartitionAsync(partitionId, StateMachine, replicationFactor, cancellationToken);
                return;
            }
            catch (RaftQuorumUnavailableException) when (DateTime.UtcNow < deadline)
            {
                // Membership has not reached the catalog's silo yet.
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    /// <summary>The partition's status once it names a leader.</summary>
    public async Task<PartitionStatus> WaitForLeaderAsync(string partitionId, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var status = await Client.GetRaftPartition(partitionId).GetStatusAsync(cancellationToken);
            if (status.Leader is not null) return status;
            if (DateTime.UtcNow >= deadline) throw new TimeoutException($"partition '{partitionId}' had no leader after {StartTimeout.TotalSeconds} s");
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    public LuxSilo Silo(string name) => silos.Single(s => s.Name == name);

    /// <summary>Stops the client, then every silo (SIGTERM, killed after a short grace: the data is thrown away anyway).</summary>
    public async ValueTask DisposeAsync()
    {
        if (clientHost is not null)
        {
            using var timeout = new CancellationTokenSource(StopGrace);
            try
            {
                await clientHost.StopAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or OrleansException or ObjectDisposedException)
            {
            }
            clientHost.Dispose();
            clientHost = null;
        }
        await Task.WhenAll(silos.Select(async s =>
        {
            await s.Process.StopAsync(StopGrace);
            await s.Process.DisposeAsync();
        }));
        silos.Clear();
    }

    /// <summary>The value of a key-value put: <paramref name="bytes"/> as a string of as many ASCII letters.</summary>
    public static string AsciiValue(ReadOnlySpan<byte> bytes) => string.Create(bytes.Length, bytes.ToArray(), (chars, source) =>
    {
        for (var i = 0; i < chars.Length; i++) chars[i] = (char)('a' + source[i] % 26);
    });

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
