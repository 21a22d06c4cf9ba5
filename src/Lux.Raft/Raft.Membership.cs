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

        if (LeadTransferee != RaftConstants.None && !Tracker.IsVoter(LeadTransferee)) AbortLeaderTransfer();
        // The quorum changed: the commit index may move, and new members need Appends.
        if (MaybeCommit()) _broadcastPending = true;
        _broadcastPending = true;
        // A removed or demoted leader goes once the change is committed (thesis §4.2.2), but not by simply stepping
        // down: the new voters may not know yet that the change committed, and if this replica fell silent now they
        // could be left in the joint configuration needing votes of replicas that have left. It keeps leading, so the
        // new voters learn the commit index, and hands leadership to the most caught-up of them.
        if (!Tracker.IsVoter(Id)) HandOffLeadership();
        return next;
    }

    /// <summary>A leader that is not a voter transfers leadership to the voter whose log is most complete.</summary>
    private void HandOffLeadership()
    {
        if (Role != StateRole.Leader || LeadTransferee != RaftConstants.None) return;
        ulong best = RaftConstants.None;
        ulong bestMatch = 0;
        foreach (var id in Tracker.Voters.Ids)
        {
            if (id == Id || Tracker.Get(id) is not { } pr) continue;
            if (best == RaftConstants.None || pr.Match > bestMatch) (best, bestMatch) = (id, pr.Match);
        }
        if (best == RaftConstants.None) return;
        _logger.Info(Id, $"is not a voter of {Tracker.ConfState}; handing leadership to {best}");
        HandleTransferLeader(new Message { Type = MessageType.TransferLeader, From = best, To = Id });
    }

    /// <summary>After applying, a leader in an auto-leave joint configuration proposes leaving it.</summary>
    private void MaybeAutoLeave()
    {
        if (Role != StateRole.Leader || !Tracker.AutoLeave || !Tracker.Voters.IsJoint || PendingConfIndex > Log.Applied) return;
        ProposeConfChange(ConfChange.LeaveJoint);
    }
}
