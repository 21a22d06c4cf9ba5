using System.Collections.Concurrent;
using Lux.Raft.Transport;
using Xunit.Abstractions;

namespace Lux.Orleans.Tests;

/// <summary>Silo failures and restarts: leaders move, acknowledged writes survive, repair restores the replication factor.</summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(TransportProtocol.Tcp)]
    [InlineData(TransportProtocol.Http)]
    public async Task Killing_the_leaders_silo_under_load_loses_no_acknowledged_write(TransportProtocol protocol)
    {
        var cluster = await LuxTestCluster.StartAsync(3, protocol: protocol);
        try
        {
            await cluster.CreateAsync("orders");
            var partition = cluster.Partition("orders");
            await partition.ProposeAsync(new KvPut { Key = "warm-up", Value = "1" });
            var leader = (await partition.GetStatusAsync()).Leader!;
            output.WriteLine($"{protocol}: leader before the kill: {leader}");

            var acknowledged = new ConcurrentBag<string>();
            var failures = new ConcurrentBag<Exception>();
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var key = $"w{w}-{i}";
                    try
                    {
                        await partition.ProposeAsync(new KvPut { Key = key, Value = key });
                        acknowledged.Add(key);
                    }
                    catch (Exception e) when (e is RaftPartitionException or TimeoutException or OrleansException)
                    {
                        // Not acknowledged (it may or may not have been applied): a call in flight through the killed
                        // silo's gateway fails on the client side; the writer carries on, as an application would.
                        failures.Add(e);
                    }
                }
            })).ToArray();

            await LuxTestCluster.Eventually(() => Task.FromResult(acknowledged.Count >= 40), TimeSpan.FromSeconds(20), "writes flow before the kill");
            var beforeKill = acknowledged.Count;
            await cluster.Cluster.KillSiloAsync(cluster.Silo(leader));
            output.WriteLine($"killed {leader} after {beforeKill} acknowledged writes");

            await LuxTestCluster.Eventually(async () =>
            {
                var status = await partition.GetStatusAsync();
                return status.Leader is not null && status.Leader != leader;
            }, TimeSpan.FromSeconds(30), "a new leader on a surviving silo");
            var afterElection = acknowledged.Count;
            await LuxTestCluster.Eventually(() => Task.FromResult(acknowledged.Count >= afterElection + 40), TimeSpan.FromSeconds(30), "proposals resume after the kill");
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            var newStatus = await partition.GetStatusAsync();
            output.WriteLine($"new leader {newStatus.Leader} term {newStatus.Term}; {acknowledged.Count} acknowledged, {failures.Count} failed: {string.Join(" | ", failures.Select(f => f.Message).Distinct().Take(3))}");
            var count = (await partition.ReadAsync<KvResult>(new KvQuery())).Count;
            Assert.True(count >= acknowledged.Count + 1, $"{count} keys stored, {acknowledged.Count} writes acknowledged");
            foreach (var key in acknowledged)
            {
                Assert.Equal(key, (await partition.ReadAsync<KvResult>(new KvQuery { Key = key })).Value);
            }
        }
        finally
        {
            await cluster.DisposeAsync();
            LuxTestCluster.DeleteRoot(cluster.Root);
        }
    }

    [Fact]
    public async Task Restarting_the_whole_cluster_brings_back_partitions_and_acknowledged_writes()
    {
        var root = LuxTestCluster.NewRoot();
        var first = await LuxTestCluster.StartAsync(3, root);
        var written = new List<string>();
        try
        {
            for (var p = 0; p < 3; p++)
            {
                await first.CreateAsync($"durable-{p}");
                for (var i = 0; i < 20; i++)
                {
                    var key = $"p{p}-k{i}";
                    await first.Partition($"durable-{p}").ProposeAsync(new KvPut { Key = key, Value = key });
                    written.Add(key);
                }
            }
        }
        finally
        {
            await first.DisposeAsync();
        }

        var second = await LuxTestCluster.StartAsync(3, root);
        try
        {
            var listed = await second.Client.GetRaftCatalog().ListPartitionsAsync();
            Assert.Equal(["durable-0", "durable-1", "durable-2"], listed.Select(p => p.PartitionId));
            Assert.All(listed, p => Assert.Equal(3, p.Silos.Count));
            foreach (var key in written)
            {
                var partition = second.Partition($"durable-{key[1]}");
                Assert.Equal(key, (await partition.ReadAsync<KvResult>(new KvQuery { Key = key })).Value);
            }
            Assert.Null((await second.Partition("durable-0").ProposeAsync<KvResult>(new KvPut { Key = "after-restart", Value = "1" })).Value);
        }
        finally
        {
            await second.DisposeAsync();
            LuxTestCluster.DeleteRoot(root);
        }
    }
}
