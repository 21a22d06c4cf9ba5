namespace Lux.Raft;

/// <summary>Leadership transfer (thesis §3.10).</summary>
internal sealed partial class Raft
{
    private void HandleTransferLeader(Message m)
    {
        var transferee = m.From;
        var pr = Tracker.Get(transferee);
        if (pr is null || pr.IsLearner)
        {
            _logger.Warning(Id, $"ignored leadership transfer to {transferee}: not a voter");
            return;
        }
        if (LeadTransferee != RaftConstants.None)
        {
            if (LeadTransferee == transferee) return;
            AbortLeaderTransfer();
        }
        if (transferee == Id) return;

        // The transfer must complete within one election timeout, or it is abandoned and proposals resume.
        _electionElapsed = 0;
        LeadTransferee = transferee;
        _logger.Info(Id, $"starts transferring leadership to {transferee} at term {Term}");
        if (pr.Match == Log.LastIndex) SendTimeoutNow(transferee);
        else MaybeSendAppend(transferee, sendIfEmpty: true);
    }

    private void SendTimeoutNow(ulong to)
    {
        Send(new Message { To = to, Type = MessageType.TimeoutNow });
        if (Tracker.IsVoter(Id)) return;
        // A leader outside the configuration has done its part once a voter with its whole log is told to campaign;
        // the new leader will not talk to it, so it steps down rather than linger as a leader of the old term.
        _logger.Info(Id, $"handed leadership to {to}; stepping down at term {Term}");
        BecomeFollower(Term, RaftConstants.None);
    }

    private void AbortLeaderTransfer() => LeadTransferee = RaftConstants.None;
}
