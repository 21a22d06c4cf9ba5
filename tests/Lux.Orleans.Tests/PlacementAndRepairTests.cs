using Lux.Orleans.Replication;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Lux.Orleans.Tests;

/// <summary>Replica placement over silos, membership changes and repair after a silo is declared dead.</summary>
public sealed class PlacementAndRepairTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_hundred_partitions_spread_their_leaders_over_the_silos()
    {
        var cluster = await LuxTestCluster.StartAsync(3);
        try
        {
            var ids = Enumerable.Range(0, 100).Select(i => $"spread-{i}").ToArray();
            await Task.WhenAll(ids.Select(id => cluster.CreateAsync(id)));
            await Task.WhenAll(ids.Select(id => cluster.Partition(id).ProposeAsync(new KvPut { Key = "k", Value = id })));
            var statuses = await Task.WhenAll(ids.Select(id => cluster.Partition(id).GetStatusAsync()));
            var leaders = statuses.GroupBy(s => s.Leader!).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine(string.Join(", ", leaders.OrderBy(l => l.Key).Select(l => $"{l.Key}: {l.Value}")));
            Assert.Equal(3, leaders.Count);
            Assert.All(leaders.Values, count => Assert.True(count <= 2 * 100 / 3, $"a silo leads {count} of 100 partitions"));
            Assert.Equal(100, (await cluster.Client.GetRaftCatalog().ListPartitionsAsync()).Count);
        }
        finally
        {
            await cluster.DisposeAsync();
            LuxTestCluster.DeleteRoot(cluster.Root);
        }
    }

    [Fact]
    public async Task Replicas_are_added_and_removed_on_request()
    {
        var cluster = await LuxTestCluster.StartAsync(3);
        try
        {
            await cluster.CreateAsync("members");
            var partition = cluster.Partition("members");
            for (var i = 0; i < 30; i++) await partition.ProposeAsync(new KvPut { Key = $"k{i}", Value = "v" });
            var fourth = await cluster.Cluster.StartAdditionalSiloAsync();
            await partition.AddReplicaAsync(fourth.Name);
            var grown = await partition.GetStatusAsync();
            Assert.Equal(4, grown.Members.Count(m => m.Role == ReplicaRole.Voter));
            Assert.Contains(grown.Members, m => m.Silo == fourth.Name);

            var leaving = grown.Members.First(m => m.Silo != grown.Leader && m.Silo != fourth.Name).Silo;
            await partition.RemoveReplicaAsync(leaving);
            var shrunk = await partition.GetStatusAsync();
            Assert.Equal(3, shrunk.Members.Count);
            Assert.DoesNotContain(shrunk.Members, m => m.Silo == leaving);
            await LuxTestCluster.Eventually(async () => (await partition.ReadAsync<KvResult>(new KvQuery(), ReadConsistency.Linearizable)).Count == 30,
                TimeSpan.FromSeconds(10), "all writes readable");
            // The new replica holds the whole state: make it lead and read there.
            await partition.TransferLeadershipAsync(fourth.Name);
            Assert.Equal(30, (await partition.ReadAsync<KvResult>(new KvQuery())).Count);
        }
        finally
        {
            await cluster.DisposeAsync();
            LuxTestCluster.DeleteRoot(cluster.Root);
        }
    }

    [Fact]
    public async Task A_replica_on_a_dead_silo_is_replaced_on_a_live_one()
    {
        var cluster = await LuxTestCluster.StartAsync(3);
        try
        {
            await cluster.CreateAsync("repaired");
            var partition = cluster.Partition("repaired");
            for (var i = 0; i < 20; i++) await partition.ProposeAsync(new KvPut { Key = $"k{i}", Value = "v" });
            var fourth = await cluster.Cluster.StartAdditionalSiloAsync();
            var status = await partition.GetStatusAsync();
            var victim = status.Members.First(m => m.Silo != status.Leader).Silo;
            // Stopped rather than killed, so the test cluster can start it again under its name below; Orleans
            // declares a stopped silo dead just the same.
            var victimHandle = cluster.Silo(victim);
            await cluster.Cluster.StopSiloAsync(victimHandle);
            output.WriteLine($"stopped {victim}; leader {status.Leader}; spare {fourth.Name}");

            await LuxTestCluster.Eventually(async () =>
            {
                var now = await partition.GetStatusAsync();
                return now.Members.Count == 3 && now.Members.All(m => m.Role == ReplicaRole.Voter)
                    && now.Members.Any(m => m.Silo == fourth.Name) && now.Members.All(m => m.Silo != victim);
            }, TimeSpan.FromSeconds(90), $"the replica on {victim} replaced by one on {fourth.Name}");
            Assert.Equal(20, (await partition.ReadAsync<KvResult>(new KvQuery())).Count);
            Assert.Null((await partition.ProposeAsync<KvResult>(new KvPut { Key = "after-repair", Value = "1" })).Value);

            // The dead silo comes back with its old data: its replica was removed meanwhile, so it retires it.
            var back = (InProcessSiloHandle)await cluster.Cluster.StartSiloAsync(victimHandle.InstanceNumber, cluster.Cluster.Options);
            output.WriteLine($"restarted as {back.Name}");
            Assert.Equal(victim, back.Name);
            await LuxTestCluster.Eventually(() => Task.FromResult(
                    back.ServiceProvider.GetRequiredService<RaftReplicaHost>().Find("repaired") is null),
                TimeSpan.FromSeconds(60), $"the removed replica on the returning {victim} retired");
            var final = await partition.GetStatusAsync();
            Assert.DoesNotContain(final.Members, m => m.Silo == victim);
            Assert.Equal(21, (await partition.ReadAsync<KvResult>(new KvQuery())).Count);
        }
        finally
        {
            await cluster.DisposeAsync();
            LuxTestCluster.DeleteRoot(cluster.Root);
        }
    }
}
