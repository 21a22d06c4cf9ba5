using Lux.Orleans.Replication;
using Lux.Orleans.StateMachines;

namespace Lux.Orleans.Grains;

/// <summary>
/// Creates partitions. One activation serializes creations, and each creation first asks every live silo whether the
/// partition exists, so two callers cannot give one partition two replica sets while membership is stable. Nothing is
/// stored here: every silo records the partitions it hosts in its own data directory.
/// </summary>
internal sealed class RaftCatalogGrain(IClusterMembershipService membership, StateMachineRegistry stateMachines) : Grain, IRaftCatalogGrain
{
    public async Task<PartitionInfo> CreatePartitionAsync(string partitionId, string stateMachine, int replicationFactor, CancellationToken cancellationToken)
    {
        RaftIdentity.ValidatePartitionId(partitionId);
        ArgumentException.ThrowIfNullOrWhiteSpace(stateMachine);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        if (!stateMachines.Contains(stateMachine))
            throw new ArgumentException($"No state machine is registered as '{stateMachine}' (registered: {string.Join(", ", stateMachines.Names)}).", nameof(stateMachine));
        var active = RaftReplicaHost.ActiveSilos(membership.CurrentSnapshot);
        var (existing, _) = await ClusterQueries.DescribeAsync(GrainFactory, active, partitionId);
        if (existing.Count > 0)
        {
            var found = existing[0].Descriptor;
            if (found.StateMachine != stateMachine)
                throw new ArgumentException($"Partition '{partitionId}' exists with state machine '{found.StateMachine}'.", nameof(stateMachine));
            return new PartitionInfo { PartitionId = partitionId, StateMachine = found.StateMachine, Silos = existing.Select(e => e.Silo).ToArray() };
        }
        if (active.Count < replicationFactor)
            throw new RaftQuorumUnavailableException(partitionId, $"{replicationFactor} replicas need {replicationFactor} live silos; {active.Count} are active.");
        var voters = RaftIdentity.RendezvousOrder(partitionId, active).Take(replicationFactor).ToArray();
        var descriptor = new PartitionDescriptor { PartitionId = partitionId, StateMachine = stateMachine, InitialVoters = voters };
        // The first silo in rendezvous order stands for election at once, so leaders spread over silos as replicas do.
        var replies = await Task.WhenAll(voters.Select((silo, i) =>
            GrainFactory.GetGrain<IRaftReplicaGrain>(RaftIdentity.ReplicaGrainKey(partitionId, silo)).CreateAsync(descriptor, campaign: i == 0)));
        var failed = replies.Select((reply, i) => (reply, silo: voters[i])).Where(r => r.reply.Status != ReplicaReplyStatus.Ok).ToArray();
        if (failed.Length > 0)
            throw new RaftPartitionException(partitionId, "Creating replicas failed: " + string.Join("; ", failed.Select(f => $"{f.silo}: {f.reply.Message ?? f.reply.Status.ToString()}")));
        return new PartitionInfo { PartitionId = partitionId, StateMachine = stateMachine, Silos = voters };
    }

    public async Task<IReadOnlyList<PartitionInfo>> ListPartitionsAsync(CancellationToken cancellationToken)
    {
        var hosted = await ClusterQueries.ListAsync(GrainFactory, RaftReplicaHost.ActiveSilos(membership.CurrentSnapshot));
        return hosted.GroupBy(h => h.Partition.PartitionId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new PartitionInfo
            {
                PartitionId = g.Key,
                StateMachine = g.First().Partition.StateMachine,
                Silos = g.Select(h => h.Silo).Order(StringComparer.Ordinal).ToArray(),
            })
            .ToArray();
    }
}
