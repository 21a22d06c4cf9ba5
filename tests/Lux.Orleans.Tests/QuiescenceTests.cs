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

    private static string Describe(LuxTestCluster cluster) => string.Join("; ", cluster.Cluster.Silos.Where(s => s.IsActive).Select(s =>
    {
        var replicas = s.ServiceProvider.GetRequiredService<RaftReplicaHost>().Replicas;
        return $"{s.Name}: {replicas.Count(r => r.IsQuiesced)}/{replicas.Count} quiet, {replicas.Count(r => r.IsLeader)} lead, {replicas.Count(r => r.IsLeader && r.IsQuiesced)} quiet leaders";
    }));

    private static int QuiescedReplicas(LuxTestCluster cluster) =>
        cluster.Cluster.Silos.Where(s => s.IsActive)
            .Sum(s => s.ServiceProvider.GetRequiredService<RaftReplicaHost>().Replicas.Count(r => r.IsQuiesced));
}
