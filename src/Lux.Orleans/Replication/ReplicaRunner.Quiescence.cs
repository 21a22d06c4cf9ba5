using Lux.Raft;

namespace Lux.Orleans.Replication;

/// <summary>
/// Quiescence: thousands of idle partitions per silo must cost (almost) nothing. A leader that has been idle for an
/// election timeout, with every member holding its whole log and everything applied, sends each follower a quiesce
/// notice (a heartbeat carrying a marker context) and stops ticking; a follower that receives the notice from its
/// leader stops ticking too. Any activity wakes a replica: a proposal, a read, a message from the leader (the followers'
/// wake-up call) or from a campaigning peer (the leader's). A follower also wakes when the host has heard nothing from
/// its leader's silo for an election timeout (silo-level keepalives on the peer channel, see
/// <see cref="RaftReplicaHost"/>), so a dead leader is still replaced.
/// </summary>
internal sealed partial class ReplicaRunner
{
    /// <summary>The context that marks a quiesce notice and its acknowledgements. ReadIndex contexts are 8 bytes, so it cannot collide.</summary>
    private static readonly byte[] QuiesceMarker = "lux.quiesce"u8.ToArray();

    private int _activity;
    private int _quiescedFlag;
    private bool _quiesceRequested;
    private int _idleTicks;
    private ulong _idleSinceIndex;
    private int _ticksSinceWake = int.MaxValue;
    private volatile string? _quiescedLeader;

    /// <summary>Whether this replica knows a leader, as of its last Ready (read from any thread).</summary>
    public bool KnowsLeader => _published.Soft.Leader != RaftConstants.None;

    /// <summary>Whether the replica is quiesced (read from any thread).</summary>
    public bool IsQuiesced => Volatile.Read(ref _quiescedFlag) == 1;

    /// <summary>When quiesced as a follower, the silo of the leader it waits on.</summary>
    public string? QuiescedLeader => _quiescedLeader;

    /// <summary>
    /// After a quiet period the leader's tick count stood still while time went on: its lease must be re-earned with
    /// fresh heartbeats before a lease read may rely on it.
    /// </summary>
    private bool LeaseUsable => _ticksSinceWake >= _host.Options.ElectionTicks;

    /// <summary>Wakes the replica (its leader's silo went silent, or the host asks).</summary>
    public void Wake() => Post(static () => { });

    private static bool IsQuiesceMarker(Message message) =>
        message.Type is MessageType.Heartbeat or MessageType.HeartbeatResponse && message.Context.Span.SequenceEqual(QuiesceMarker);

    /// <summary>
    /// Acknowledgements carry no new work: late ones reaching a leader that just went quiet must not wake it. Anything
    /// else (a proposal, a read, a vote request, a refused Append, a leader's message) is activity.
    /// </summary>
    private static bool IsAcknowledgement(Message message) =>
        message.Type == MessageType.HeartbeatResponse || message.Type == MessageType.AppendResponse && !message.Reject;

    private void OnQuiesceHeartbeat(Message message)
    {
        _node.Step(message);
        _quiesceRequested = true;
    }

    private void OnActivity()
    {
        var soft = _node.SoftState;
        var quiesce = _quiesceRequested && soft.Role == StateRole.Follower && soft.Leader != RaftConstants.None;
        _quiesceRequested = false;
        if (quiesce)
        {
            SetQuiesced(true, _host.NameOf(soft.Leader));
            return;
        }
        if (IsQuiesced)
        {
            SetQuiesced(false, null);
            _ticksSinceWake = 0;
        }
    }

    private void ConsiderQuiescing()
    {
        if (_soft.Role != StateRole.Leader || _proposals.Count > 0 || _reads.Count > 0 || _readsAwaitingApply.Count > 0
            || _node.HardState.Commit != _applied)
        {
            _idleTicks = 0;
            return;
        }
        var commit = _node.HardState.Commit;
        if (commit != _idleSinceIndex)
        {
            _idleSinceIndex = commit;
            _idleTicks = 0;
        }
        if (++_idleTicks < _host.Options.ElectionTicks) return;
        var status = _node.Status();
        if (status.LeadTransferee != RaftConstants.None || status.LastIndex != status.HardState.Commit || status.ConfState.VotersOutgoing.Count > 0)
        {
            _idleTicks = 0;
            return;
        }
        foreach (var (id, progress) in status.Progress)
        {
            if (id != _host.LocalId && progress.Match != status.LastIndex)
            {
                _idleTicks = 0;
                return;
            }
        }
        foreach (var id in status.Progress.Keys)
        {
            if (id == _host.LocalId || _host.NameOf(id) is not { } peer) continue;
            _host.Transport.TrySend(peer, Key, new Message
            {
                Type = MessageType.Heartbeat,
                To = id,
                From = _host.LocalId,
                Term = status.HardState.Term,
                Commit = status.HardState.Commit,
                Context = QuiesceMarker,
            });
        }
        SetQuiesced(true, null);
    }

    private void SetQuiesced(bool quiesced, string? leader)
    {
        _quiescedLeader = quiesced ? leader : null;
        var was = Interlocked.Exchange(ref _quiescedFlag, quiesced ? 1 : 0) == 1;
        if (was != quiesced) _host.OnQuiescenceChanged(quiesced);
    }
}
