using Lux.Orleans.Replication;

namespace Lux.Orleans.Grains;

/// <summary>One per silo, keyed by the silo's name and activated only there: discovery and the silo's partition list.</summary>
[Alias("Lux.Orleans.IRaftNodeGrain")]
public interface IRaftNodeGrain : IGrainWithStringKey
{
    /// <summary>The "host:port" of this silo's peer channel.</summary>
    Task<string> GetPeerEndPointAsync();

    /// <summary>This silo's replica's view of <paramref name="partitionId"/>, or null when it hosts none.</summary>
    Task<ReplicaInfo?> DescribeAsync(string partitionId);

    /// <summary>The partitions this silo hosts a replica of.</summary>
    Task<IReadOnlyList<PartitionDescriptor>> ListAsync();

    /// <summary>
    /// Creates this silo's replica of a partition (idempotent); <paramref name="campaign"/> makes it stand for election at
    /// once. The catalog creates replicas here rather than through each replica's own grain, so a new partition costs no
    /// grain activation until someone uses it.
    /// </summary>
    Task<ReplicaReply> CreateReplicaAsync(PartitionDescriptor descriptor, bool campaign);

    /// <summary>How many replicas this silo hosts, leads and has quiesced; answered without waking any replica.</summary>
    Task<SiloReplicaCounts> GetReplicaCountsAsync();
}
