using Lux.Orleans.Hosting;
using Lux.Raft.StateMachine;
using Lux.Raft.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace Lux.Orleans.Tests;

/// <summary>
/// An in-process Orleans cluster (shared in-process membership, so any silo can be killed) with Lux on every silo, each
/// silo keeping its data in <c>{root}/{silo name}</c> so a new cluster over the same root restarts the old one.
/// </summary>
public sealed class LuxTestCluster : IAsyncDisposable
{
    private LuxTestCluster(InProcessTestCluster cluster, string root)
    {
        Cluster = cluster;
        Root = root;
    }

    public InProcessTestCluster Cluster { get; }

    public string Root { get; }

    public IClusterClient Client => Cluster.Client;

    public static string NewRoot() => Path.Combine(Path.GetTempPath(), "lux-orleans-tests", Guid.NewGuid().ToString("N"));

    public static async Task<LuxTestCluster> StartAsync(int silos, string? root = null, TransportProtocol protocol = TransportProtocol.Tcp,
        Action<LuxRaftOptions>? configure = null, SnapshotPolicy? snapshots = null)
    {
        root ??= NewRoot();
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddLuxRaft(lux =>
            {
                lux.DataDirectory = Path.Combine(root, options.SiloName);
                lux.Protocol = protocol;
                lux.TickInterval = TimeSpan.FromMilliseconds(50);
                lux.ElectionTicks = 10;
                lux.SyncWrites = false;
                lux.RepairInterval = TimeSpan.FromSeconds(1);
                lux.AttemptTimeout = TimeSpan.FromSeconds(3);
                lux.OperationTimeout = TimeSpan.FromSeconds(30);
                lux.ClusterSecret = "lux-tests-cluster-secret";
                if (snapshots is not null) lux.SnapshotPolicy = snapshots;
                configure?.Invoke(lux);
            });
            silo.AddRaftStateMachine("kv", _ => new KeyValueStateMachine());
            silo.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        });
        builder.ConfigureClient(client => client.AddLuxRaft());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new LuxTestCluster(cluster, root);
    }

    public IRaftPartitionGrain Partition(string id) => Client.GetRaftPartition(id);

    public Task<PartitionInfo> CreateAsync(string id, int replicationFactor = 3) =>
        Client.GetRaftCatalog().CreatePartitionAsync(id, "kv", replicationFactor);

    public InProcessSiloHandle Silo(string name) => Cluster.Silos.Single(s => s.Name == name);

    /// <summary>Polls <paramref name="condition"/> until it holds, failing with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e)
            {
                last = e;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not reached within {timeout}: {what} {describe?.Invoke()}", last);
            await timer.WaitForNextTickAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>Removes the data of a cluster that is stopped.</summary>
    public static void DeleteRoot(string root)
    {
        try
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
