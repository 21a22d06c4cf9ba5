namespace Lux.Raft;

using Lux.Raft.Log;

/// <summary>Message handling: the term rules common to every role, then the role-specific step functions.</summary>
internal sealed partial class Raft
{
    /// <summary>
    /// Handles one message. Input from the network that breaks the protocol (wrong addressee, unknown sender for a
    /// response, a batch that does not connect, an attempt to overwrite committed entries) is refused and reported,
    /// never thrown.
    /// </summary>
    public void Step(Message m)
    {
        if (m.Term == 0)
        {
            // Local message.
        }
        else if (m.Term > Term)
        {
            if (m.Type is MessageType.Vote or MessageType.PreVote)
            {
                var inLease = _options.CheckQuorum
                    && ((Lead != RaftConstants.None && _electionElapsed < ElectionTimeout) || _restartGuardTicks > 0);
                if (!m.LeaderTransfer && inLease)
                {
                    // We heard from a live leader within the minimum election timeout: ignore the disruptive
                    // candidate without raising our term (thesis §4.2.3).
                    return;
                }
            }
            switch (m.Type)
            {
                case MessageType.PreVote:
                    // A pre-vote never changes our term.
                    break;
                case MessageType.PreVoteResponse when !m.Reject:
                    // A granted pre-vote carries the future term the pre-candidate would use; our term stays until
                    // the real election.
                    break;
                default:
                    if (m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot)
                        BecomeFollower(m.Term, m.From);
                    else
                        BecomeFollower(m.Term, RaftConstants.None);
                    break;
            }
        }
        else if (m.Term < Term)
        {
            if ((_options.CheckQuorum || _options.PreVote) && m.Type is MessageType.Heartbeat or MessageType.Append)
            {
                // A stale leader, perhaps cut off and unaware. With check-quorum or pre-vote our term may have risen
                // without an election it could see; answering with our term makes it step down.
                Send(new Message { To = m.From, Type = MessageType.AppendResponse });
            }
            else if (m.Type == MessageType.PreVote)
            {
                Send(new Message { To = m.From, Term = Term, Type = MessageType.PreVoteResponse, Reject = true });
            }
            return;
        }

        switch (m.Type)
        {
            case MessageType.Hup:
                Hup(transfer: false);
                return;
            case MessageType.Vote:
            case MessageType.PreVote:
                HandleVoteRequest(m);
                return;
        }

        switch (Role)
        {
            case StateRole.Leader:
                StepLeader(m);
                break;
            case StateRole.Candidate:
            case StateRole.PreCandidate:
                StepCandidate(m);
                break;
            default:
                StepFollower(m);
                break;
        }
    }

    private void StepCandidate(Message m)
    {
        var myResponseType = Role == StateRole.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        switch (m.Type)
        {
            case MessageType.Propose:
                // Dropped: there is no leader to take it.
                break;
            case MessageType.Append:
                BecomeFollower(m.Term, m.From);
                HandleAppendEntries(m);
                break;
            case MessageType.Heartbeat:
                BecomeFollower(m.Term, m.From);
                HandleHeartbeat(m);
                break;
            case MessageType.Snapshot:
                BecomeFollower(m.Term, m.From);
                HandleSnapshot(m);
                break;
            case MessageType.VoteResponse:
            case MessageType.PreVoteResponse:
                if (m.Type == myResponseType) HandleVoteResponse(m);
                break;
            case MessageType.TimeoutNow:
                // Only a follower answers a transfer.
                break;
            case MessageType.ReadIndex:
                // No leader to confirm the read; the caller retries.
                break;
        }
    }

    private void StepFollower(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Propose:
                // Proposals are routed to the leader by the host; a follower does not forward them.
                break;
            case MessageType.Append:
                _electionElapsed = 0;
                Lead = m.From;
                HandleAppendEntries(m);
                break;
            case MessageType.Heartbeat:
                _electionElapsed = 0;
                Lead = m.From;
                HandleHeartbeat(m);
                break;
            case MessageType.Snapshot:
                _electionElapsed = 0;
                Lead = m.From;
                HandleSnapshot(m);
                break;
            case MessageType.TransferLeader:
                if (Lead != RaftConstants.None) Send(m with { To = Lead, From = m.From });
                break;
            case MessageType.TimeoutNow:
                // The leader hands over leadership: campaign at once, without a pre-vote and ignoring leases (thesis §3.10).
                _logger.Info(Id, $"received TimeoutNow from {m.From} at term {Term}; campaigning");
                Hup(transfer: true);
                break;
            case MessageType.ReadIndex:
                if (Lead == RaftConstants.None) break;
                Send(m with { To = Lead });
                break;
            case MessageType.ReadIndexResponse:
                _readStates.Add(new ReadState(m.Index, m.Context));
                break;
        }
    }

    private bool IsWellFormedAppend(Message m)
    {
        var entries = m.Entries;
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].Index != m.Index + 1 + (ulong)i || entries[i].Term > m.Term || (i > 0 && entries[i].Term < entries[i - 1].Term))
            {
                return false;
            }
        }
        return entries.Length == 0 || entries[0].Term >= m.LogTerm;
    }

    private void HandleAppendEntries(Message m)
    {
        if (!IsWellFormedAppend(m))
        {
            _logger.Warning(Id, $"refused malformed Append from {m.From}: entries do not follow index {m.Index} in order and term");
            return;
        }
        if (m.Index < Log.Committed)
        {
            // Everything up to our commit index is already settled; tell the leader where we are.
            Send(new Message { To = m.From, Type = MessageType.AppendResponse, Index = Log.Committed });
            return;
        }
        switch (Log.MaybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries, out var lastNew))
        {
            case AppendOutcome.Appended:
                Send(new Message { To = m.From, Type = MessageType.AppendResponse, Index = lastNew });
                break;
            case AppendOutcome.ConflictsWithCommitted:
                _logger.Warning(Id, $"refused Append from {m.From} at term {m.Term}: it conflicts with committed index {Log.Committed}");
                break;
            default:
                // Fast back-off: find the largest index not beyond the leader's probe whose term is at most the
                // leader's term there; the leader skips every entry of a conflicting term in one round trip.
                var hintIndex = Math.Min(m.Index, Log.LastIndex);
                var (index, term) = Log.FindConflictByTerm(hintIndex, m.LogTerm);
                Send(new Message
                {
                    To = m.From,
                    Type = MessageType.AppendResponse,
                    Index = m.Index,
                    Reject = true,
                    RejectHint = index,
                    LogTerm = term,
                });
                break;
        }
    }

    private void HandleHeartbeat(Message m)
    {
        // The leader sends min(commit, our match), so this never passes our log; clamp anyway against a bad sender.
        Log.CommitTo(Math.Min(m.Commit, Log.LastIndex));
        Send(new Message { To = m.From, Type = MessageType.HeartbeatResponse, Context = m.Context, Index = m.Index });
    }

    private void HandleSnapshot(Message m)
    {
        if (m.Snapshot is not { IsEmpty: false } snapshot)
        {
            _logger.Warning(Id, $"refused Snapshot message from {m.From} without metadata");
            return;
        }
        if (Restore(snapshot))
        {
            _logger.Info(Id, $"restored snapshot {snapshot.Index}/{snapshot.Term} from {m.From}");
            Send(new Message { To = m.From, Type = MessageType.AppendResponse, Index = Log.LastIndex });
        }
        else
        {
            Send(new Message { To = m.From, Type = MessageType.AppendResponse, Index = Log.Committed });
        }
    }

    /// <summary>Installs a snapshot from the leader unless our log already covers it (Raft §7).</summary>
    private bool Restore(SnapshotMetadata snapshot)
    {
        if (snapshot.Index <= Log.Committed) return false;
        if (Role != StateRole.Follower)
        {
            _logger.Warning(Id, "refused to restore a snapshot while not a follower");
            BecomeFollower(Term + 1, RaftConstants.None);
            return false;
        }
        var conf = snapshot.ConfState;
        // A snapshot taken before this replica was added does not list it; the log after the snapshot holds the
        // change that adds it, so it is installed all the same and the replica learns its membership by applying.
        if (Log.MatchTerm(snapshot.Index, snapshot.Term))
        {
            // We already have the entries up to the snapshot: just commit to it.
            Log.CommitTo(snapshot.Index);
            return false;
        }
        Log.Restore(snapshot);
        Tracker.Apply(conf, Log.LastIndex + 1);
        return true;
    }
}
