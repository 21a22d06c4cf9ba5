using Lux.Orleans.Grains;
using Lux.Orleans.Replication;
using Lux.Raft.StateMachine;

namespace Lux.Orleans.Tests;

/// <summary>Snapshots per policy: the log is compacted, a new replica catches up from a streamed snapshot, a restart restores from one.</summary>
public sealed class SnapshotTests
{
    private static readonly SnapshotPolicy Frequent = new() { MaxLogEntries = 25, RetainedEntries = 5 };

    [Fact]
    public async Task A_replica_added_after_compaction_catches_up_from_a_snapshot_and_restarts_from_one()
    {
        var root = LuxTestCluster.NewRoot();
        var cluster = await LuxTestCluster.StartAsync(3, root, snapshots: Frequent);
        string fourthName;
        try
        {
            await cluster.CreateAsync("snap");
            var partition = cluster.Partition("snap");
            for (var i = 0; i < 120; i++) await partition.ProposeAsync(new KvPut { Key = $"k{i}", Value = $"v{i}" });
            Assert.True(SnapshotFiles(root).Count >= 3, "every replica has written a snapshot");

            var fourth = await cluster.Cluster.StartAdditionalSiloAsync();
            fourthName = fourth.Name;
            await partition.AddReplicaAsync(fourth.Name);
            Assert.Contains(SnapshotFiles(root), f => f.Contains(fourth.Name, StringComparison.Ordinal));
            await partition.TransferLeadershipAsync(fourth.Name);
            var read = await partition.ReadAsync<KvResult>(new KvQuery { Key = "k7" });
            Assert.Equal("v7", read.Value);
            Assert.Equal(120, read.Count);
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        // Same four silos again: each replica restores its state machine from its snapshot and replays the rest.
        var again = await LuxTestCluster.StartAsync(4, root, snapshots: Frequent);
        try
        {
            var partition = again.Partition("snap");
            Assert.Equal(120, (await partition.ReadAsync<KvResult>(new KvQuery())).Count);
            await partition.TransferLeadershipAsync(fourthName);
            Assert.Equal("v119", (await partition.ReadAsync<KvResult>(new KvQuery { Key = "k119" })).Value);
        }
        finally
        {
            await again.DisposeAsync();
            LuxTestCluster.DeleteRoot(root);
        }
    }

    [Fact]
    public async Task Entries_retained_below_a_snapshot_let_a_new_replica_catch_up_from_the_log()
    {
        var root = LuxTestCluster.NewRoot();
        var cluster = await LuxTestCluster.StartAsync(3, root, snapshots: new SnapshotPolicy { MaxLogEntries = 20, RetainedEntries = 1_000 });
        try
        {
            await cluster.CreateAsync("retained");
            var partition = cluster.Partition("retained");
            for (var i = 0; i < 50; i++) await partition.ProposeAsync(new KvPut { Key = $"k{i}", Value = $"v{i}" });
            var originals = cluster.Cluster.Silos.Select(s => s.Name).ToArray();
            // Followers apply (and so snapshot) once the commit reaches them: wait for every replica's first snapshot.
            await LuxTestCluster.Eventually(async () =>
            {
                foreach (var silo in originals)
                {
                    var info = await cluster.Client.GetGrain<IRaftReplicaGrain>(RaftIdentity.ReplicaGrainKey("retained", silo)).GetInfoAsync();
                    if (info is not { SnapshotIndex: >= 20 }) return false;
                }
                return true;
            }, TimeSpan.FromSeconds(20), "every replica takes a snapshot");

            var fourth = await cluster.Cluster.StartAdditionalSiloAsync();
            await partition.AddReplicaAsync(fourth.Name);
            await partition.TransferLeadershipAsync(fourth.Name);

            Assert.Equal(50, (await partition.ReadAsync<KvResult>(new KvQuery())).Count);
            // Installing a snapshot would have started the new replica's log after it; catching up from the retained
            // entries leaves its log starting at the beginning (its own snapshots keep 1,000 entries below them).
            foreach (var silo in originals)
            {
                var first = await cluster.Client.GetGrain<IRaftReplicaGrain>(RaftIdentity.ReplicaGrainKey("retained", silo)).GetInfoAsync();
                Assert.Equal(1UL, first!.FirstLogIndex);
            }
            var info = await cluster.Client.GetGrain<IRaftReplicaGrain>(RaftIdentity.ReplicaGrainKey("retained", fourth.Name)).GetInfoAsync();
            Assert.Equal(1UL, info!.FirstLogIndex);
        }
        finally
        {
            await cluster.DisposeAsync();
            LuxTestCluster.DeleteRoot(root);
        }
    }

    private static IReadOnlyList<string> SnapshotFiles(string root) =>
        Directory.EnumerateFiles(root, "*.snap", SearchOption.AllDirectories).ToArray();
}
