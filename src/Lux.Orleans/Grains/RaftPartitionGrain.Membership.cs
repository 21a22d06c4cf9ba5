using Lux.Orleans.Replication;
using Lux.Raft.Membership;
using Orleans.Concurrency;

namespace Lux.Orleans.Grains;

internal sealed partial class RaftPartitionGrain
{
    public async Task TransferLeadershipAsync(string silo, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(silo);
        var deadline = Deadline();
        while (true)
        {
            var info = await LeaderInfoAsync(deadline, cancellationToken);
            if (info.Leader == silo) return;
            if (!info.Members.Any(m => m.Silo == silo && m.Role == ReplicaRole.Voter))
                throw new ArgumentException($"'{silo}' holds no voting replica of partition '{Partition}'.", nameof(silo));
            await SendAsync(target => Replica(target).TransferLeadershipAsync(silo), deadline, cancellationToken);
            // The transfer completes when the target wins its election; wait for that, or retry if it was abandoned.
            var waitUntil = DateTime.UtcNow + TimeSpan.FromTicks(host.Options.TickInterval.Ticks * host.Options.ElectionTicks * 3);
            while (DateTime.UtcNow < waitUntil && DateTime.UtcNow < deadline)
            {
                await BackoffAsync(cancellationToken, 3);
                var seen = await Replica(silo).GetInfoAsync().WaitAsync(AttemptLimit, cancellationToken);
                if (seen?.Leader == silo)
                {
                    _leader = silo;
                    return;
                }
            }
        }
    }

    public async Task AddReplicaAsync(string silo, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(silo);
        var deadline = Deadline();
        var id = RaftIdentity.ReplicaIdOf(silo);
        var info = await LeaderInfoAsync(deadline, cancellationToken);
        if (info.Members.Any(m => m.ReplicaId == id && m.Role == ReplicaRole.Voter)) return;
        await AddCaughtUpLearnerAsync(info, silo, deadline, cancellationToken);
        await ChangeMembershipAsync(new ConfChange([new ConfChangeItem(ConfChangeType.AddVoter, id)]),
            i => i.Members.Any(m => m.ReplicaId == id && m.Role == ReplicaRole.Voter), deadline, cancellationToken);
    }

    public async Task RemoveReplicaAsync(string silo, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(silo);
        var id = RaftIdentity.ReplicaIdOf(silo);
        await ChangeMembershipAsync(new ConfChange([new ConfChangeItem(ConfChangeType.RemoveNode, id)]),
            i => i.Members.All(m => m.ReplicaId != id), Deadline(), cancellationToken);
    }

    public async Task ReplaceReplicaAsync(string deadSilo, string? replacementSilo, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deadSilo);
        var deadline = Deadline();
        var deadId = RaftIdentity.ReplicaIdOf(deadSilo);
        var info = await LeaderInfoAsync(deadline, cancellationToken);
        if (info.Members.All(m => m.ReplicaId != deadId)) return;
        var members = info.Members.Select(m => m.Silo).ToHashSet(StringComparer.Ordinal);
        replacementSilo ??= RaftIdentity.RendezvousOrder(Partition, ActiveSilos().Where(s => !members.Contains(s) || IsLearner(info, s))).FirstOrDefault()
            ?? throw new RaftQuorumUnavailableException(Partition, $"No live silo is free to replace the replica on '{deadSilo}'.");
        var newId = RaftIdentity.ReplicaIdOf(replacementSilo);
        await AddCaughtUpLearnerAsync(info, replacementSilo, deadline, cancellationToken);
        // One joint-consensus change (thesis §4.3): the new replica votes and the dead one leaves in the same step.
        await ChangeMembershipAsync(
            new ConfChange([new ConfChangeItem(ConfChangeType.AddVoter, newId), new ConfChangeItem(ConfChangeType.RemoveNode, deadId)]),
            i => i.Members.All(m => m.ReplicaId != deadId) && i.Members.Any(m => m.ReplicaId == newId && m.Role == ReplicaRole.Voter),
            deadline, cancellationToken);
    }

    private static bool IsLearner(ReplicaInfo info, string silo) => info.Members.Any(m => m.Silo == silo && m.Role == ReplicaRole.Learner);

    /// <summary>Creates the replica on <paramref name="silo"/>, adds it as a learner and waits until it holds everything committed when it was added.</summary>
    private async Task AddCaughtUpLearnerAsync(ReplicaInfo info, string silo, DateTime deadline, CancellationToken cancellationToken)
    {
        var id = RaftIdentity.ReplicaIdOf(silo);
        await CreateReplicaAsync(info.Descriptor, silo, deadline, cancellationToken);
        if (info.Members.All(m => m.ReplicaId != id))
        {
            await ChangeMembershipAsync(new ConfChange([new ConfChangeItem(ConfChangeType.AddLearner, id)]),
                i => i.Members.Any(m => m.ReplicaId == id), deadline, cancellationToken);
        }
        var target = info.CommitIndex;
        while (true)
        {
            var current = await LeaderInfoAsync(deadline, cancellationToken);
            if (current.Members.FirstOrDefault(m => m.ReplicaId == id) is { } learner && learner.MatchIndex >= target) return;
            if (DateTime.UtcNow >= deadline)
                throw new RaftQuorumUnavailableException(Partition, $"The replica on '{silo}' did not catch up to index {target} in time.");
            await BackoffAsync(cancellationToken, 4);
        }
    }

    /// <summary>
    /// Creates the replica on <paramref name="silo"/>, retrying while the silo is not (yet) an active member everywhere:
    /// a silo that just joined may still be missing from the membership view of the silo placing the grain.
    /// </summary>
    private async Task CreateReplicaAsync(PartitionDescriptor descriptor, string silo, DateTime deadline, CancellationToken cancellationToken)
    {
        var attempt = 0;
        while (true)
        {
            try
            {
                var created = await Replica(silo).CreateAsync(descriptor, campaign: false).WaitAsync(AttemptLimit, cancellationToken);
                if (created.Status == ReplicaReplyStatus.Ok) return;
                throw new RaftPartitionException(Partition, $"Creating a replica of '{Partition}' on '{silo}' failed: {created.Message ?? created.Status.ToString()}");
            }
            catch (Exception e) when (e is not RaftPartitionException || e is RaftReplicaUnavailableException)
            {
                if (!IsTransient(e, cancellationToken) || DateTime.UtcNow >= deadline) throw;
            }
            await BackoffAsync(cancellationToken, ++attempt);
        }
    }

    /// <summary>
    /// Proposes a membership change until <paramref name="done"/> holds. The condition is checked before every attempt,
    /// so a change applied under a reply that was lost is not proposed a second time.
    /// </summary>
    private async Task ChangeMembershipAsync(ConfChange change, Func<ReplicaInfo, bool> done, DateTime deadline, CancellationToken cancellationToken)
    {
        var encoded = change.Encode().AsImmutable();
        while (true)
        {
            var info = await LeaderInfoAsync(deadline, cancellationToken);
            if (done(info) && !info.Members.Any(m => m.Role == ReplicaRole.OutgoingVoter)) return;
            if (!done(info))
            {
                try
                {
                    await SendAsync(target => Replica(target).ProposeConfChangeAsync(encoded), deadline, cancellationToken);
                    continue;
                }
                catch (RaftPartitionException) when (DateTime.UtcNow < deadline)
                {
                    // Refused (another change was pending or the reply was lost): look at the configuration again.
                }
            }
            if (DateTime.UtcNow >= deadline)
                throw new RaftQuorumUnavailableException(Partition, $"The membership change {change} did not complete in time.");
            await BackoffAsync(cancellationToken, 3);
        }
    }

    /// <summary>The leader's view of the partition (retrying until a leader answers or the deadline passes).</summary>
    private async Task<ReplicaInfo> LeaderInfoAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        var attempt = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (attempt++ > 0) await BackoffAsync(cancellationToken, attempt);
            var leader = KnownLeader() ?? await FindLeaderAsync(cancellationToken);
            if (leader is not null)
            {
                try
                {
                    var info = await Replica(leader).GetInfoAsync().WaitAsync(AttemptLimit, cancellationToken);
                    if (info is { IsLeader: true }) return info;
                    _leader = info?.Leader;
                }
                catch (Exception e) when (IsTransient(e, cancellationToken))
                {
                    _leader = null;
                }
            }
            if (DateTime.UtcNow >= deadline)
                throw new RaftNotLeaderException(Partition, leader, $"No leader of partition '{Partition}' answered in time.");
        }
    }
}
