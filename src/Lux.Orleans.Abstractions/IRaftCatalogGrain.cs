namespace Lux.Orleans;

/// <summary>
/// Creates and lists partitions. There is no central store behind it: every silo records the partitions it hosts in its
/// own data directory, and the catalog asks the silos. Get it with <see cref="RaftPartitionExtensions.GetRaftCatalog"/>.
/// </summary>
[Alias("Lux.Orleans.IRaftCatalogGrain")]
public interface IRaftCatalogGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Creates partition <paramref name="partitionId"/> running the state machine registered as
    /// <paramref name="stateMachine"/>, with <paramref name="replicationFactor"/> replicas placed over live silos by
    /// rendezvous hashing. Idempotent: creating an existing partition with the same state machine returns it.
    /// </summary>
    /// <exception cref="ArgumentException">The id is invalid, or the partition exists with another state machine.</exception>
    /// <exception cref="RaftQuorumUnavailableException">Fewer live silos than <paramref name="replicationFactor"/>.</exception>
    Task<PartitionInfo> CreatePartitionAsync(string partitionId, string stateMachine, int replicationFactor = 3, CancellationToken cancellationToken = default);

    /// <summary>The partitions hosted by live silos, with the silos that host a replica of each.</summary>
    Task<IReadOnlyList<PartitionInfo>> ListPartitionsAsync(CancellationToken cancellationToken = default);
}
