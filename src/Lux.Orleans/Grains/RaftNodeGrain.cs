using Lux.Orleans.Placement;
using Lux.Orleans.Replication;
using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;

namespace Lux.Orleans.Grains;

/// <summary>The per-silo discovery and listing grain, pinned to the silo it is named after.</summary>
[SiloPinnedPlacement]
[GrainDirectory(SiloPinnedGrainDirectory.Name)]
[Immovable]
[KeepAlive]
[Reentrant]
internal sealed class RaftNodeGrain(RaftReplicaHost host) : Grain, IRaftNodeGrain
{
    public Task<string> GetPeerEndPointAsync() => Task.FromResult(host.AdvertisedEndPoint);

    public Task<ReplicaInfo?> DescribeAsync(string partitionId) =>
        host.Find(partitionId)?.GetInfoAsync() ?? Task.FromResult<ReplicaInfo?>(null);

    public Task<IReadOnlyList<PartitionDescriptor>> ListAsync() => Task.FromResult(host.HostedPartitions);

    public Task<ReplicaReply> CreateReplicaAsync(PartitionDescriptor descriptor, bool campaign)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return host.EnsureReplicaAsync(descriptor, campaign, CancellationToken.None);
    }

    public Task<SiloReplicaCounts> GetReplicaCountsAsync() => Task.FromResult(host.CountReplicas());
}
