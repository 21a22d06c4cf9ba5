namespace Lux.Raft;

using Lux.Raft.Quorum;

/// <summary>Linearizable reads: ReadIndex (thesis §6.4) and the leader lease (thesis §6.4.1).</summary>
internal sealed partial class Raft
{
    private readonly Dictionary<ulong, long> _leaseAcks = [];
    private long _leaderTicks;

    private void HandleReadIndex(Message m)
    {
        if (Tracker.Voters.Ids.Count == 1 && Tracker.IsVoter(Id))
        {
            // A single voter is its own quorum.
            RespondToReadIndex(m, Log.Committed);
            return;
        }
        if (!CommittedEntryInCurrentTerm)
        {
            // Until the leader commits an entry of its term it does not know the true commit index (thesis §6.4 step 1);
            // hold the request until its no-op commits.
            _pendingReadIndexMessages.Add(m);
            return;
        }
        ConfirmReadIndex(m);
    }

    private void ConfirmReadIndex(Message m)
    {
        if (_options.ReadOnlyOption == ReadOnlyOption.LeaseBased && LeaseValid)
        {
            RespondToReadIndex(m, Log.Committed);
            return;
        }
        // Record the commit index now, then confirm leadership with a heartbeat round carrying the request's context.
        _readIndexQueue.Add(Log.Committed, m, Id);
        var context = m.Context;
        foreach (var id in Tracker.MemberIds)
        {
            if (id != Id) SendHeartbeat(id, context);
        }
    }

    private void ReleasePendingReadIndexMessages()
    {
        var pending = _pendingReadIndexMessages.ToArray();
        _pendingReadIndexMessages.Clear();
        foreach (var m in pending) ConfirmReadIndex(m);
    }

    private void RespondToReadIndex(Message request, ulong index)
    {
        if (request.From == RaftConstants.None || request.From == Id)
        {
            _readStates.Add(new ReadState(index, request.Context));
        }
        else
        {
            Send(new Message { To = request.From, Type = MessageType.ReadIndexResponse, Index = index, Context = request.Context });
        }
    }

    private void RecordLeaseAck(ulong from, ulong heartbeatTick)
    {
        var tick = (long)Math.Min(heartbeatTick, (ulong)_leaderTicks);
        if (!_leaseAcks.TryGetValue(from, out var known) || known < tick) _leaseAcks[from] = tick;
    }

    /// <summary>
    /// Whether the leader lease holds: a quorum acknowledged heartbeats sent less than <see cref="LeaseTicks"/> ago.
    /// Followers that acknowledged a heartbeat sent at tick t refuse to vote until an election timeout after they
    /// received it, so no other leader can exist before t + ElectionTimeout; the lease ends earlier to leave room for
    /// clock drift. Never valid during a leadership transfer, which deliberately bypasses the followers' leases.
    /// </summary>
    public bool LeaseValid
    {
        get
        {
            if (Role != StateRole.Leader || LeadTransferee != RaftConstants.None || !CommittedEntryInCurrentTerm) return false;
            var quorumTick = Tracker.Voters.CommittedIndex(new LeaseAckIndexer(this));
            return quorumTick is not 0 and not ulong.MaxValue && (long)quorumTick - 1 + LeaseTicks > _leaderTicks;
        }
    }

    /// <summary>Serves the heartbeat tick a member acknowledged, shifted by one so that "never" (0) is below every tick.</summary>
    private readonly struct LeaseAckIndexer(Raft raft) : IAckedIndexer
    {
        public ulong AckedIndex(ulong id)
        {
            if (id == raft.Id) return (ulong)raft._leaderTicks + 1;
            return raft._leaseAcks.TryGetValue(id, out var t) ? (ulong)t + 1 : 0;
        }
    }
}
