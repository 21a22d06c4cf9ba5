using Lux.Orleans.Replication;
using Orleans.Concurrency;

namespace Lux.Orleans.Grains;

/// <summary>
/// The façade of one replica, keyed "{partition}@{silo}" and activated only on that silo. Used by the partition router
/// and the catalog; the replica itself lives in the silo's replica host.
/// </summary>
[Alias("Lux.Orleans.IRaftReplicaGrain")]
public interface IRaftReplicaGrain : IGrainWithStringKey
{
    /// <summary>Creates the replica on its silo (idempotent); <paramref name="campaign"/> makes it stand for election at once.</summary>
    Task<ReplicaReply> CreateAsync(PartitionDescriptor descriptor, bool campaign);

    /// <summary>Proposes an encoded session entry; answers once it is applied, refused, or the attempt timed out.</summary>
    Task<ReplicaReply> ProposeAsync(Immutable<byte[]> entry);

    /// <summary>
    /// Proposes encoded session entries as one batch; answers once each is applied or refused, or the attempt timed out,
    /// one reply per entry in order.
    /// </summary>
    Task<ReplicaReply[]> ProposeBatchAsync(Immutable<byte[][]> entries);

    /// <summary>Proposes an encoded membership change; answers once it is applied.</summary>
    Task<ReplicaReply> ProposeConfChangeAsync(Immutable<byte[]> change);

    /// <summary>Serves an encoded query at the given consistency.</summary>
    Task<ReplicaReply> ReadAsync(Immutable<byte[]> query, ReadConsistency consistency);

    /// <summary>The replica's view of its partition, or null when this silo hosts no replica of it.</summary>
    Task<ReplicaInfo?> GetInfoAsync();

    /// <summary>Asks this replica (the leader) to hand leadership to the replica on <paramref name="silo"/>.</summary>
    Task<ReplicaReply> TransferLeadershipAsync(string silo);
}
