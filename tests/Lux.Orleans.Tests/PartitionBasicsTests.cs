using System.Diagnostics.Metrics;
using Xunit.Abstractions;

namespace Lux.Orleans.Tests;

/// <summary>One three-silo cluster: create, propose, read at every consistency, status, typed errors.</summary>
public sealed class PartitionBasicsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LuxTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await LuxTestCluster.StartAsync(3,
        configure: lux => lux.Partitions.Add(new Hosting.LuxPartitionOptions { Id = "from-config", StateMachine = "kv", ReplicationFactor = 3 }));

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        LuxTestCluster.DeleteRoot(_cluster.Root);
    }

    [Fact]
    public async Task Create_propose_read_and_status_on_three_silos()
    {
        var created = await _cluster.CreateAsync("basics");
        Assert.Equal(3, created.Silos.Count);
        var again = await _cluster.CreateAsync("basics");
        Assert.Equal(created.Silos.Order(), again.Silos.Order());

        var partition = _cluster.Partition("basics");
        var first = await partition.ProposeAsync<KvResult>(new KvPut { Key = "a", Value = "1" });
        Assert.Null(first.Value);
        var second = await partition.ProposeAsync<KvResult>(new KvPut { Key = "a", Value = "2" });
        Assert.Equal("1", second.Value);

        foreach (var consistency in new[] { ReadConsistency.Linearizable, ReadConsistency.Lease })
        {
            var read = await partition.ReadAsync<KvResult>(new KvQuery { Key = "a" }, consistency);
            Assert.Equal("2", read.Value);
        }
        // A stale read may lag, but catches up.
        await LuxTestCluster.Eventually(async () => (await partition.ReadAsync<KvResult>(new KvQuery { Key = "a" }, ReadConsistency.Stale)).Value == "2",
            TimeSpan.FromSeconds(10), "stale read sees the write");

        var status = await partition.GetStatusAsync();
        output.WriteLine($"leader {status.Leader} term {status.Term} commit {status.CommitIndex} members {string.Join(", ", status.Members.Select(m => $"{m.Silo}:{m.Role}:{m.MatchIndex}"))}");
        Assert.NotNull(status.Leader);
        Assert.Equal("kv", status.StateMachine);
        Assert.Equal(3, status.Members.Count);
        Assert.All(status.Members, m => Assert.Equal(ReplicaRole.Voter, m.Role));
        Assert.Equal(created.Silos.Order(), status.Members.Select(m => m.Silo).Order());
        Assert.True(status.CommitIndex >= 4, "no-op, session registration and two puts are committed");
        Assert.True(status.AppliedIndex >= 4);
        await LuxTestCluster.Eventually(async () => (await partition.GetStatusAsync()).Members.All(m => m.MatchIndex >= status.CommitIndex),
            TimeSpan.FromSeconds(10), "every replica holds the committed log");
    }

    [Fact]
    public async Task Refused_commands_and_unknown_partitions_raise_typed_errors()
    {
        await _cluster.CreateAsync("errors");
        var partition = _cluster.Partition("errors");
        await partition.ProposeAsync<KvResult>(new KvInsert { Key = "k", Value = "v" });
        var refused = await Assert.ThrowsAsync<RaftCommandRejectedException>(() => partition.ProposeAsync(new KvInsert { Key = "k", Value = "w" }));
        Assert.Contains("exists", refused.Reason);
        Assert.Equal("v", (await partition.ReadAsync<KvResult>(new KvQuery { Key = "k" })).Value);

        var wrongType = await Assert.ThrowsAsync<RaftCommandRejectedException>(() => partition.ProposeAsync("not a command"));
        Assert.Contains("KvCommand", wrongType.Reason);

        await Assert.ThrowsAsync<RaftPartitionNotFoundException>(() => _cluster.Partition("never-created").ProposeAsync(new KvPut { Key = "x", Value = "y" }));
        await Assert.ThrowsAsync<ArgumentException>(() => _cluster.Client.GetRaftCatalog().CreatePartitionAsync("bad@id", "kv"));
        await Assert.ThrowsAsync<ArgumentException>(() => _cluster.Client.GetRaftCatalog().CreatePartitionAsync("other", "no-such-machine"));
    }

    [Fact]
    public async Task Concurrent_increments_are_each_applied_once()
    {
        long proposals = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "lux.raft.proposals") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref proposals, value));
        listener.Start();
        await _cluster.CreateAsync("counter");
        var partition = _cluster.Partition("counter");
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => partition.ProposeAsync<KvResult>(new KvIncrement { Key = "c" })));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => i.ToString()), results.Select(r => r.Value!).Order(StringComparer.Ordinal).OrderBy(int.Parse));
        Assert.Equal("200", (await partition.ReadAsync<KvResult>(new KvQuery { Key = "c" })).Value);
        Assert.True(Interlocked.Read(ref proposals) >= 201, $"lux.raft.proposals counted {proposals} (200 commands and a session registration)");
    }

    [Fact]
    public async Task Partitions_named_in_configuration_are_created_once_the_silos_are_up()
    {
        var partition = _cluster.Partition("from-config");
        await LuxTestCluster.Eventually(async () =>
        {
            try
            {
                await partition.ProposeAsync(new KvPut { Key = "a", Value = "1" });
                return true;
            }
            catch (RaftPartitionNotFoundException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the configured partition accepts proposals");
        var listed = Assert.Single(await _cluster.Client.GetRaftCatalog().ListPartitionsAsync(), p => p.PartitionId == "from-config");
        Assert.Equal(3, listed.Silos.Count);
        Assert.Equal("kv", listed.StateMachine);
    }

    [Fact]
    public async Task Leadership_moves_where_it_is_asked_to()
    {
        await _cluster.CreateAsync("transfer");
        var partition = _cluster.Partition("transfer");
        await partition.ProposeAsync(new KvPut { Key = "a", Value = "1" });
        var status = await partition.GetStatusAsync();
        var target = status.Members.First(m => m.Silo != status.Leader).Silo;
        await partition.TransferLeadershipAsync(target);
        Assert.Equal(target, (await partition.GetStatusAsync()).Leader);
        Assert.Null((await partition.ProposeAsync<KvResult>(new KvPut { Key = "b", Value = "2" })).Value);
        Assert.Equal("1", (await partition.ReadAsync<KvResult>(new KvQuery { Key = "a" })).Value);
    }
}
