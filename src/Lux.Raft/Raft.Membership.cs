namespace Lux.Raft;

using Lux.Raft.Membership;

/// <summary>Membership changes: one at a time, simple or through joint consensus (thesis §4.1, §4.3), learners.</summary>
internal sealed partial class Raft
{
    /// <summary>The log index of the newest membership change the leader proposed; no other may be proposed until it is applied.</summary>
    public ulong PendingConfIndex { get; private set; }

    public ProposeResult ProposeConfChange(ConfChange change)
    {
        if (Role != StateRole.Leader) return ProposeResult.Rejected(ProposalRejection.NotLeader, Lead);
        if (LeadTransferee != RaftConstants.None) return ProposeResult.Rejected(ProposalRejection.LeadershipTransferInProgress, Lead);
        string? refusal = null;
        var joint = Tracker.Voters.IsJoint;
        if (PendingConfIndex > Log.Applied) refusal = $"change at {PendingConfIndex} is not applied yet (applied {Log.Applied})";
        else if (joint && !change.IsLeaveJoint) refusal = "must leave the joint configuration first";
        else if (!joint && change.IsLeaveJoint) refusal = "not in a joint configuration";
        else if (!ConfChanger.TryApply(Tracker.ConfState, change, out _, out var error)) refusal = error;
        if (refusal is not null)
        {
            _logger.Warning(Id, $"refused membership change {change}: {refusal}");
            return ProposeResult.Rejected(ProposalRejection.ConfChangeRejected, Lead);
        }
        var last = AppendEntries([new Entry(0, 0, EntryType.ConfChange, change.Encode())]);
        PendingConfIndex = last;
        return ProposeResult.Accepted(last, last, Term);
    }

    /// <summary>
    /// Applies a committed membership change (the host calls this when it applies the entry) and returns the new
    /// configuration, or null when the change is invalid for the current configuration (it is then ignored).
    /// </summary>
    public ConfState? ApplyConfChange(ConfChange change)
    {
        if (!ConfChanger.TryApply(Tracker.ConfState, change, out var next, out var error))
        {
            _logger.Warning(Id, $"ignored committed membership change {change}: {error}");
            return null;
        }
        Tracker.Apply(next, Log.LastIndex + 1);
        _logger.Info(Id, $"applied membership change {change}: now {next}");
        if (Role != StateRole.Leader) return next;

        if (!Tracker.IsVoter(Id))
        {
            // The leader was removed or demoted: the change is committed, so it can go (thesis §4.2.2).
            _logger.Info(Id, $"is no longer a voter; stepping down at term {Term}");
            BecomeFollower(Term, RaftConstants.None);
            return next;
        }
        if (LeadTransferee != RaftConstants.None && !Tracker.IsVoter(LeadTransferee)) AbortLeaderTransfer();
        // The quorum changed: the commit index may move, and new members need Appends.
        if (MaybeCommit()) _broadcastPending = true;
        _broadcastPending = true;
        return next;
    }

    /// <summary>After applying, a leader in an auto-leave joint configuration proposes leaving it.</summary>
    private void MaybeAutoLeave()
    {
        if (Role != StateRole.Leader || !Tracker.AutoLeave || !Tracker.Voters.IsJoint || PendingConfIndex > Log.Applied) return;
        ProposeConfChange(ConfChange.LeaveJoint);
    }
}
