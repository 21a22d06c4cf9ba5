using Lux.Orleans.Placement;
using Lux.Orleans.Replication;
using Lux.Raft.Membership;
using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;

namespace Lux.Orleans.Grains;

/// <summary>
/// The replica façade: forwards to the silo's <see cref="RaftReplicaHost"/>, bounding every wait by the attempt timeout.
/// Stateless and reentrant (requests interleave; the replica's own loop orders them), kept alive so callers do not pay
/// for reactivation.
/// </summary>
[SiloPinnedPlacement]
[GrainDirectory(SiloPinnedGrainDirectory.Name)]
[Immovable]
[KeepAlive]
[Reentrant]
internal sealed class RaftReplicaGrain(RaftReplicaHost host) : Grain, IRaftReplicaGrain
{
    private string Partition => SiloPinnedPlacement.PartitionOf(this.GetPrimaryKeyString());

    public Task<ReplicaReply> CreateAsync(PartitionDescriptor descriptor, bool campaign)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.PartitionId != Partition) return Task.FromResult(ReplicaReply.Of(ReplicaReplyStatus.Failed, "descriptor of another partition"));
        return host.EnsureReplicaAsync(descriptor, campaign, CancellationToken.None);
    }

    public Task<ReplicaReply> ProposeAsync(Immutable<byte[]> entry) =>
        Bounded(host.Find(Partition)?.ProposeAsync(entry.Value));

    public Task<ReplicaReply[]> ProposeBatchAsync(Immutable<byte[][]> entries) =>
        host.ProposeBatchAsync(Partition, entries.Value);

    public Task<ReplicaReply> ProposeConfChangeAsync(Immutable<byte[]> change) =>
        ConfChange.TryDecode(change.Value, out var decoded)
            ? Bounded(host.Find(Partition)?.ProposeConfChangeAsync(decoded))
            : Task.FromResult(ReplicaReply.Of(ReplicaReplyStatus.Failed, "malformed membership change"));

    public Task<ReplicaReply> ReadAsync(Immutable<byte[]> query, ReadConsistency consistency) =>
        Bounded(host.Find(Partition)?.ReadAsync(query.Value, consistency));

    public Task<ReplicaInfo?> GetInfoAsync() => host.Find(Partition)?.GetInfoAsync() ?? Task.FromResult<ReplicaInfo?>(null);

    public Task<ReplicaReply> TransferLeadershipAsync(string silo) =>
        Bounded(host.Find(Partition)?.TransferLeadershipAsync(RaftIdentity.ReplicaIdOf(silo)));

    private async Task<ReplicaReply> Bounded(Task<ReplicaReply>? operation)
    {
        if (operation is null) return ReplicaReply.NotFound;
        try
        {
            return await operation.WaitAsync(host.Options.AttemptTimeout);
        }
        catch (TimeoutException)
        {
            return ReplicaReply.TimedOut;
        }
    }
}
