namespace Lux.Raft;

using Lux.Raft.Quorum;

/// <summary>Leader election (Raft §5.2) with pre-vote (thesis §9.6).</summary>
internal sealed partial class Raft
{
    private void Hup(bool transfer)
    {
        if (Role == StateRole.Leader) return;
        if (!Promotable)
        {
            _logger.Warning(Id, "is not a voter and cannot campaign");
            return;
        }
        if (HasUnappliedConfChange())
        {
            // A replica must not campaign while it may not yet know its own configuration (thesis §4.1). A leader
            // handing over often sends TimeoutNow right behind the commit of a membership change, so a transfer waits
            // for the host to apply it instead of being dropped.
            if (transfer) _transferCampaignTerm = Term;
            _logger.Warning(Id, $"cannot campaign at term {Term} yet: configuration changes are committed but not applied");
            return;
        }
        _transferCampaignTerm = 0;
        if (transfer) Campaign(CampaignKind.Transfer);
        else if (_options.PreVote) Campaign(CampaignKind.PreElection);
        else Campaign(CampaignKind.Election);
    }

    /// <summary>The term in which a TimeoutNow arrived that must wait until committed membership changes are applied; 0 if none.</summary>
    private ulong _transferCampaignTerm;

    /// <summary>Runs a transfer campaign that waited for membership changes to be applied, if it is still timely.</summary>
    private void MaybeRunDeferredTransferCampaign()
    {
        if (_transferCampaignTerm == 0) return;
        if (_transferCampaignTerm != Term || Role == StateRole.Leader) _transferCampaignTerm = 0;
        else if (!HasUnappliedConfChange()) Hup(transfer: true);
    }

    private enum CampaignKind : byte { PreElection, Election, Transfer }

    private void Campaign(CampaignKind kind)
    {
        ulong term;
        MessageType voteType;
        if (kind == CampaignKind.PreElection)
        {
            BecomePreCandidate();
            voteType = MessageType.PreVote;
            // Ask with the term we would use, without raising our own yet.
            term = Term + 1;
        }
        else
        {
            BecomeCandidate();
            voteType = MessageType.Vote;
            term = Term;
        }
        _logger.Info(Id, $"campaigns ({kind}) for term {term} with last log {Log.LastIndex}/{Log.LastTerm}");

        // Our own vote first: a single-voter cluster wins at once.
        var result = Poll(Id, granted: true);
        if (result == VoteResult.Won)
        {
            if (kind == CampaignKind.PreElection) Campaign(CampaignKind.Election);
            else BecomeLeader();
            return;
        }

        var lastIndex = Log.LastIndex;
        var lastTerm = Log.LastTerm;
        foreach (var id in Tracker.Voters.Ids)
        {
            if (id == Id) continue;
            Send(new Message
            {
                To = id,
                Term = term,
                Type = voteType,
                Index = lastIndex,
                LogTerm = lastTerm,
                LeaderTransfer = kind == CampaignKind.Transfer,
            });
        }
    }

    /// <summary>Records a voter's answer (others are ignored) and returns the election's outcome so far.</summary>
    private VoteResult Poll(ulong from, bool granted)
    {
        if (Tracker.IsVoter(from)) Tracker.RecordVote(from, granted);
        return Tracker.TallyVotes().Result;
    }

    private void HandleVoteRequest(Message m)
    {
        // We can vote for the candidate if we already did (a repeated request), if we have not voted and know no
        // leader in this term, or, for a pre-vote, if the candidate's future term is ahead of ours.
        var canVote = Vote == m.From
            || (Vote == RaftConstants.None && Lead == RaftConstants.None)
            || (m.Type == MessageType.PreVote && m.Term > Term);
        var responseType = m.Type.VoteResponseFor();
        if (canVote && Log.IsUpToDate(m.Index, m.LogTerm))
        {
            // Grant with the term of the request: a pre-vote response must not carry our (older) term, or the
            // pre-candidate would ignore it as stale.
            Send(new Message { To = m.From, Term = m.Term, Type = responseType });
            if (m.Type == MessageType.Vote)
            {
                _electionElapsed = 0;
                Vote = m.From;
            }
        }
        else
        {
            Send(new Message { To = m.From, Term = Term, Type = responseType, Reject = true });
        }
    }

    private void HandleVoteResponse(Message m)
    {
        var result = Poll(m.From, !m.Reject);
        switch (result)
        {
            case VoteResult.Won:
                if (Role == StateRole.PreCandidate) Campaign(CampaignKind.Election);
                else
                {
                    BecomeLeader();
                    BroadcastAppend();
                }
                break;
            case VoteResult.Lost:
                // Stay at this term (a pre-candidate never raised it); wait for a leader or the next timeout.
                BecomeFollower(Term, RaftConstants.None);
                break;
        }
    }
}
