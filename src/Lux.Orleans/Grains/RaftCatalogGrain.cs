using Lux.Orleans.Replication;
using Lux.Orleans.StateMachines;
using Orleans.Concurrency;

namespace Lux.Orleans.Grains;

/// <summary>
/// Creates partitions. The activation is reentrant, so creations of different partitions proceed side by side (each
/// silo batches their durable writes); creations of one partition id are serialized here, and each first asks every
/// live silo whether the partition exists, so two callers cannot give one partition two replica sets while membership
/// is stable. Nothing is stored here: every silo records the partitions it hosts in its own data directory.
/// </summary>
[Reentrant]
internal sealed class RaftCatalogGrain(IClusterMembershipService membership, StateMachineRegistry stateMachines) : Grain, IRaftCatalogGrain
{
    /// <summary>The creation under way per partition id (touched only on the grain's turns, so no lock).</summary>
    private readonly Dictionary<string, Task<PartitionInfo>> _creating = new(StringComparer.Ordinal);

    public async Task<PartitionInfo> CreatePartitionAsync(string partitionId, string stateMachine, int replicationFactor, CancellationToken cancellationToken)
    {
        RaftIdentity.ValidatePartitionId(partitionId);
        ArgumentException.ThrowIfNullOrWhiteSpace(stateMachine);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        if (!stateMachines.Contains(stateMachine))
            throw new ArgumentException($"No state machine is registered as '{stateMachine}' (registered: {string.Join(", ", stateMachines.Names)}).", nameof(stateMachine));
        while (_creating.TryGetValue(partitionId, out var running))
        {
            // Whatever became of it, the next attempt asks the silos again and answers from what they hold.
            await ((Task)running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
        var creation = CreateAsync(partitionId, stateMachine, replicationFactor);
        _creating[partitionId] = creation;
        try
        {
            return await creation;
        }
        finally
        {
            _creating.Remove(partitionId);
        }
    }

    private async Task<PartitionInfo> CreateAsync(string partitionId, string stateMachine, int replicationFactor)
    {
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
            GrainFactory.GetGrain<IRaftNodeGrain>(silo).CreateReplicaAsync(descriptor, campaign: i == 0)));
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
