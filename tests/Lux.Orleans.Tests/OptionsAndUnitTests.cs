using Lux.Orleans.Catalog;
using Lux.Orleans.Hosting;
using Lux.Orleans.Placement;
using Lux.Orleans.Replication;

namespace Lux.Orleans.Tests;

/// <summary>Options validation, identities, placement keys and the local catalog, without a cluster.</summary>
public sealed class OptionsAndUnitTests
{
    [Fact]
    public void Valid_options_pass_and_every_problem_is_reported_at_once()
    {
        var validator = new LuxRaftOptionsValidator();
        Assert.True(validator.Validate(null, new LuxRaftOptions { DataDirectory = "/tmp/lux", ClusterSecret = "a-secret-of-16-chars" }).Succeeded);

        var bad = new LuxRaftOptions
        {
            DataDirectory = "",
            ListenAddress = "not-an-ip",
            ListenPort = 70000,
            ClusterSecret = "short",
            ElectionTicks = 1,
            HeartbeatTicks = 1,
            AttemptTimeout = TimeSpan.FromMinutes(5),
            Partitions = [new LuxPartitionOptions { Id = "a@b", StateMachine = "", ReplicationFactor = 0 }],
        };
        var result = validator.Validate(null, bad);
        Assert.True(result.Failed);
        var failures = result.Failures!.ToArray();
        Assert.Contains(failures, f => f.Contains("DataDirectory", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ListenAddress", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ListenPort", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ClusterSecret", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ElectionTicks", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("AttemptTimeout", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("'@'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("names no state machine", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("replication factor", StringComparison.Ordinal));
    }

    [Fact]
    public void Peers_must_authenticate_with_a_cluster_secret_or_what_the_peer_channel_is_given()
    {
        var validator = new LuxRaftOptionsValidator();

        var none = validator.Validate(null, new LuxRaftOptions { DataDirectory = "/tmp/lux" });
        Assert.True(none.Failed);
        Assert.Contains(none.Failures!, f => f.Contains("ClusterSecret is required", StringComparison.Ordinal));

        var throughChannel = new LuxRaftOptions { DataDirectory = "/tmp/lux", ConfigurePeerChannel = c => c.ClusterSecret = "a-secret-of-16-chars" };
        Assert.True(validator.Validate(null, throughChannel).Succeeded);
    }

    [Fact]
    public void Identities_are_stable_and_placement_keys_name_their_silo()
    {
        Assert.Equal(RaftIdentity.ReplicaIdOf("silo-1"), RaftIdentity.ReplicaIdOf("silo-1"));
        Assert.NotEqual(RaftIdentity.ReplicaIdOf("silo-1"), RaftIdentity.ReplicaIdOf("silo-2"));
        Assert.NotEqual(0UL, RaftIdentity.PartitionKeyOf("orders"));
        var key = RaftIdentity.ReplicaGrainKey("orders", "silo-2");
        Assert.Equal("silo-2", SiloPinnedPlacement.SiloOf(key));
        Assert.Equal("orders", SiloPinnedPlacement.PartitionOf(key));
        Assert.Equal("silo-2", SiloPinnedPlacement.SiloOf("silo-2"));
        Assert.Throws<ArgumentException>(() => RaftIdentity.ValidatePartitionId(" "));
        Assert.Throws<ArgumentException>(() => RaftIdentity.ValidatePartitionId(new string('x', 201)));
    }

    [Fact]
    public void Rendezvous_order_is_deterministic_and_spreads_first_choices()
    {
        var silos = new[] { "a", "b", "c", "d" };
        Assert.Equal(RaftIdentity.RendezvousOrder("p", silos), RaftIdentity.RendezvousOrder("p", silos.Reverse()));
        var firsts = Enumerable.Range(0, 400).Select(i => RaftIdentity.RendezvousOrder($"p{i}", silos)[0]).GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(4, firsts.Count);
        Assert.All(firsts.Values, n => Assert.InRange(n, 50, 150));
        // Removing a silo only moves the partitions that had it first.
        var without = Enumerable.Range(0, 400).Count(i => RaftIdentity.RendezvousOrder($"p{i}", silos)[0] != "d"
            && RaftIdentity.RendezvousOrder($"p{i}", silos)[0] != RaftIdentity.RendezvousOrder($"p{i}", silos.Where(s => s != "d"))[0]);
        Assert.Equal(0, without);
    }

    [Fact]
    public async Task The_local_catalog_survives_a_reopen()
    {
        var directory = Path.Combine(Path.GetTempPath(), "lux-catalog-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            using (var catalog = new LocalPartitionCatalog(directory))
            {
                await catalog.AddAsync(new PartitionDescriptor { PartitionId = "p1", StateMachine = "kv", InitialVoters = ["a", "b", "c"] }, CancellationToken.None);
                await catalog.AddAsync(new PartitionDescriptor { PartitionId = "p2", StateMachine = "kv", InitialVoters = ["b", "c", "d"] }, CancellationToken.None);
                await catalog.RemoveAsync("p1", CancellationToken.None);
                await catalog.AddSilosAsync(["e"], CancellationToken.None);
            }
            using var reopened = new LocalPartitionCatalog(directory);
            var p2 = Assert.Single(reopened.Partitions);
            Assert.Equal("p2", p2.PartitionId);
            Assert.Equal(["b", "c", "d"], p2.InitialVoters);
            Assert.Equal(["a", "b", "c", "d", "e"], reopened.Silos);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Concurrent_catalog_additions_share_rewrites_and_all_survive_a_reopen()
    {
        var directory = Path.Combine(Path.GetTempPath(), "lux-catalog-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            const int count = 500;
            long writes;
            using (var catalog = new LocalPartitionCatalog(directory))
            {
                await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(() =>
                    catalog.AddAsync(new PartitionDescriptor { PartitionId = $"p{i}", StateMachine = "kv", InitialVoters = ["a", "b", "c"] }, CancellationToken.None).AsTask())));
                // Adding one again changes nothing and writes nothing.
                writes = catalog.Writes;
                await catalog.AddAsync(new PartitionDescriptor { PartitionId = "p7", StateMachine = "kv", InitialVoters = ["a", "b", "c"] }, CancellationToken.None);
                Assert.Equal(writes, catalog.Writes);
            }
            Assert.InRange(writes, 1, count - 1);
            using var reopened = new LocalPartitionCatalog(directory);
            Assert.Equal(Enumerable.Range(0, count).Select(i => $"p{i}").Order(StringComparer.Ordinal), reopened.Partitions.Select(p => p.PartitionId).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
