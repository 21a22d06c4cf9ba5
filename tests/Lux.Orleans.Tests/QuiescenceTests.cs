using Lux.Orleans.Grains;
using Lux.Orleans.Replication;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Lux.Orleans.Tests;

/// <summary>Idle partitions go quiet on every replica, wake on demand, and a quiet partition still survives its leader's silo.</summary>
public sealed class QuiescenceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Idle_partitions_quiesce_wake_for_work_and_replace_a_dead_leader()
    {
        var cluster = await LuxTestCluster.StartAsync(3);
        try
        {
            var ids = Enumerable.Range(0, 20).Select(i => $"quiet-{i}").ToArray();
            await Task.WhenAll(ids.Select(id => cluster.CreateAsync(id)));
            await Task.WhenAll(ids.Select(id => cluster.Partition(id).ProposeAsync(new KvPut { Key = "k", Value = id })));
            await LuxTestCluster.Eventually(() => Task.FromResult(QuiescedReplicas(cluster) == ids.Length * 3),
                TimeSpan.FromSeconds(30), "every replica of every idle partition quiesced", () => Describe(cluster));

            var partition = cluster.Partition("quiet-3");
            Assert.Equal("quiet-3", (await partition.ReadAsync<KvResult>(new KvQuery { Key = "k" }, ReadConsistency.Lease)).Value);
            Assert.Equal("quiet-3", (await partition.ProposeAsync<KvResult>(new KvPut { Key = "k", Value = "again" })).Value);
            await LuxTestCluster.Eventually(() => Task.FromResult(QuiescedReplicas(cluster) == ids.Length * 3),
                TimeSpan.FromSeconds(30), "the woken partition quiesces again");

            var leader = (await partition.GetStatusAsync()).Leader!;
            output.WriteLine($"all quiet; killing {leader}, which leads quiet-3");
            await cluster.Cluster.KillSiloAsync(cluster.Silo(leader));
            Assert.Null((await partition.ProposeAsync<KvResult>(new KvPut { Key = "after-kill", Value = "1" })).Value);
            var status = await partition.GetStatusAsync();
            Assert.NotEqual(leader, status.Leader);
            Assert.Equal("again", (await partition.ReadAsync<KvResult>(new KvQuery { Key = "k" })).Value);
        }
        finally
        {
            await cluster.DisposeAsync();
            LuxTestCluster.DeleteRoot(cluster.Root);
        }
    }

    [Fact]
    public async Task Many_idle_partitions_all_quiesce_stay_quiet_under_status_polls_and_a_write_wakes_only_its_own()
    {
        // A longer election timeout than the other tests: a follower wakes when its leader's silo has been silent that
        // long, and the shared test machine can stall a silo for half a second.
        const int electionTicks = 20;
        var cluster = await LuxTestCluster.StartAsync(3, configure: lux => lux.ElectionTicks = electionTicks);
        try
        {
            const int count = 100;
            var ids = Enumerable.Range(0, count).Select(i => $"many-{i:D3}").ToArray();
            // Created at once: the catalog runs creations of different partitions side by side.
            var created = await Task.WhenAll(ids.Select(id => cluster.CreateAsync(id)));
            Assert.All(created, info => Assert.Equal(3, info.Silos.Count));
            Assert.Equal(count * 3, Hosts(cluster).Sum(h => h.Replicas.Count));

            // No write at all: a new leader's own no-op entry is all there is, and the partition still goes quiet.
            await LuxTestCluster.Eventually(() => Task.FromResult(QuiescedReplicas(cluster) == count * 3),
                TimeSpan.FromSeconds(60), "every replica of every new, idle partition quiesced", () => Describe(cluster));
            var leaders = await Task.WhenAll(ids.Select(async id => (await cluster.Partition(id).GetStatusAsync()).Leader));
            Assert.All(leaders, Assert.NotNull);

            // Staying quiet: three election timeouts of host ticks later, with every partition's status asked for
            // meanwhile (the node grains answer from published state), nothing woke and every leader is where it was.
            var quiet = await CountsAsync(cluster);
            Assert.Equal(count, quiet.Sum(c => c.QuiescedLeaders));
            await WaitForTicksAsync(cluster, 3 * electionTicks);
            await Task.WhenAll(ids.Select(id => cluster.Partition(id).GetStatusAsync()));
            var later = await CountsAsync(cluster);
            Assert.Equal(quiet.Sum(c => c.Wakes), later.Sum(c => c.Wakes));
            Assert.Equal(count * 3, later.Sum(c => c.Quiesced));
            Assert.Equal(leaders, await Task.WhenAll(ids.Select(async id => (await cluster.Partition(id).GetStatusAsync()).Leader)));

            // A write wakes its own partition's three replicas and no other; they go quiet again afterwards.
            var target = cluster.Partition(ids[42]);
            Assert.Null((await target.ProposeAsync<KvResult>(new KvPut { Key = "k", Value = "v" })).Value);
            await LuxTestCluster.Eventually(() => Task.FromResult(QuiescedReplicas(cluster) == count * 3),
                TimeSpan.FromSeconds(30), "the written partition quiesced again", () => Describe(cluster));
            var after = await CountsAsync(cluster);
            var woke = after.Sum(c => c.Wakes) - later.Sum(c => c.Wakes);
            output.WriteLine($"wakes caused by one write: {woke}; counts {string.Join("; ", after)}");
            Assert.InRange(woke, 1, 3);
            Assert.Equal(woke, after.Sum(c => c.Quiescences) - later.Sum(c => c.Quiescences));
            Assert.Equal("v", (await target.ReadAsync<KvResult>(new KvQuery { Key = "k" }, ReadConsistency.Stale)).Value);
        }
        finally
        {
            await cluster.DisposeAsync();
            LuxTestCluster.DeleteRoot(cluster.Root);
        }
    }

    /// <summary>Asks each silo's node grain, as an operator would.</summary>
    private static async Task<SiloReplicaCounts[]> CountsAsync(LuxTestCluster cluster) =>
        await Task.WhenAll(cluster.Cluster.Silos.Where(s => s.IsActive).Select(s => cluster.Client.GetGrain<IRaftNodeGrain>(s.Name).GetReplicaCountsAsync()));

    private static async Task WaitForTicksAsync(LuxTestCluster cluster, int ticks)
    {
        var targets = Hosts(cluster).Select(h => (Host: h, Until: h.Ticks + ticks)).ToArray();
        await LuxTestCluster.Eventually(() => Task.FromResult(targets.All(t => t.Host.Ticks >= t.Until)), TimeSpan.FromSeconds(30), $"{ticks} host ticks passed");
    }

    private static IEnumerable<RaftReplicaHost> Hosts(LuxTestCluster cluster) =>
        cluster.Cluster.Silos.Where(s => s.IsActive).Select(s => s.ServiceProvider.GetRequiredService<RaftReplicaHost>());

    private static string Describe(LuxTestCluster cluster) => string.Join("; ", cluster.Cluster.Silos.Where(s => s.IsActive).Select(s =>
    {
        var replicas = s.ServiceProvider.GetRequiredService<RaftReplicaHost>().Replicas;
        return $"{s.Name}: {replicas.Count(r => r.IsQuiesced)}/{replicas.Count} quiet, {replicas.Count(r => r.IsLeader)} lead, {replicas.Count(r => r.IsLeader && r.IsQuiesced)} quiet leaders";
    }));

    private static int QuiescedReplicas(LuxTestCluster cluster) =>
        cluster.Cluster.Silos.Where(s => s.IsActive)
            .Sum(s => s.ServiceProvider.GetRequiredService<RaftReplicaHost>().Replicas.Count(r => r.IsQuiesced));
}
