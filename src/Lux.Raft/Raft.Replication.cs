namespace Lux.Raft;

using Lux.Raft.Storage;
using Lux.Raft.Tracking;

/// <summary>The leader's side of log replication (Raft §5.3) and heartbeats.</summary>
internal sealed partial class Raft
{
    private void StepLeader(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Beat:
                BroadcastHeartbeat();
                return;
            case MessageType.CheckQuorum:
                if (!Tracker.QuorumActive(Id))
                {
                    _logger.Warning(Id, $"stepped down at term {Term}: no quorum heard within an election timeout");
                    BecomeFollower(Term, RaftConstants.None);
                }
                Tracker.ResetRecentActive(Id);
                return;
            case MessageType.Propose:
                Propose(m.Entries);
                return;
            case MessageType.ReadIndex:
                HandleReadIndex(m);
                return;
            case MessageType.TransferLeader:
                HandleTransferLeader(m);
                return;
        }

        var pr = Tracker.Get(m.From);
        if (pr is null)
        {
            if (!m.Type.IsLocal()) _logger.Warning(Id, $"ignored {m.Type} from {m.From}, which is not a member");
            return;
        }
        switch (m.Type)
        {
            case MessageType.AppendResponse:
                HandleAppendResponse(m, pr);
                break;
            case MessageType.HeartbeatResponse:
                HandleHeartbeatResponse(m, pr);
                break;
            case MessageType.SnapshotStatus:
                if (pr.State != ProgressState.Snapshot) break;
                if (m.Reject) _logger.Warning(Id, $"snapshot to {m.From} failed; will retry");
                // Either way go back to probing; a success is confirmed by the follower's next Append response.
                pr.BecomeProbe();
                pr.MsgAppFlowPaused = true;
                break;
            case MessageType.Unreachable:
                // Stop pipelining into the void; probe again once the peer answers.
                if (pr.State == ProgressState.Replicate) pr.BecomeProbe();
                break;
        }
    }

    /// <summary>Appends proposals to the leader's log; they go out batched with the next Ready.</summary>
    public ProposeResult Propose(ReadOnlySpan<Entry> entries)
    {
        if (Role != StateRole.Leader) return ProposeResult.Rejected(ProposalRejection.NotLeader, Lead);
        if (entries.IsEmpty) return ProposeResult.Rejected(ProposalRejection.Empty, Lead);
        if (LeadTransferee != RaftConstants.None) return ProposeResult.Rejected(ProposalRejection.LeadershipTransferInProgress, Lead);
        if (Tracker.Get(Id) is null) return ProposeResult.Rejected(ProposalRejection.NotLeader, RaftConstants.None);
        long size = 0;
        foreach (var e in entries) size += e.Data.Length;
        // Always admit a batch when nothing is outstanding, so an oversized proposal cannot wedge the leader.
        if (_uncommittedSize > 0 && _uncommittedSize + size > _options.MaxUncommittedEntriesSize)
        {
            return ProposeResult.Rejected(ProposalRejection.TooManyUncommitted, Lead);
        }
        _uncommittedSize += size;
        var last = AppendEntries(entries);
        return ProposeResult.Accepted(last - (ulong)entries.Length + 1, last, Term);
    }

    /// <summary>Assigns term and indexes to new entries and appends them to the leader's log.</summary>
    private ulong AppendEntries(ReadOnlySpan<Entry> entries)
    {
        var last = Log.LastIndex;
        var buffer = new Entry[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            buffer[i] = entries[i] with { Index = last + 1 + (ulong)i, Term = Term };
        }
        var newLast = Log.Append(buffer);
        _broadcastPending = true;
        return newLast;
    }

    /// <summary>Advances the commit index to what a quorum holds, if that is an entry of this term.</summary>
    private bool MaybeCommit()
    {
        var committed = Log.MaybeCommit(Tracker.Committed(), Term);
        if (committed && _pendingReadIndexMessages.Count > 0 && CommittedEntryInCurrentTerm) ReleasePendingReadIndexMessages();
        return committed;
    }

    private bool CommittedEntryInCurrentTerm => Log.TermOrZero(Log.Committed) == Term;

    /// <summary>Sends the batched Appends of everything proposed since the last flush.</summary>
    private void FlushBroadcast()
    {
        if (!_broadcastPending) return;
        _broadcastPending = false;
        if (Role == StateRole.Leader) BroadcastAppend();
    }

    private void BroadcastAppend()
    {
        foreach (var id in Tracker.MemberIds)
        {
            if (id == Id) continue;
            if (MaybeSendAppend(id, sendIfEmpty: true))
            {
                while (MaybeSendAppend(id, sendIfEmpty: false)) { }
            }
        }
    }

    /// <summary>
    /// Sends the next Append to <paramref name="to"/> if its progress allows, or a snapshot if the entries it needs
    /// were compacted. Returns whether a message was sent.
    /// </summary>
    private bool MaybeSendAppend(ulong to, bool sendIfEmpty)
    {
        var pr = Tracker.Get(to);
        if (pr is null || pr.IsPaused) return false;
        var prevIndex = pr.Next - 1;
        if (Log.TryGetTerm(prevIndex, out var prevTerm) != StorageStatus.Ok) return MaybeSendSnapshot(to, pr);

        _scratch.Clear();
        // With a full window only an empty Append goes out (prompted by a heartbeat response): if everything in flight
        // was lost, its answer clears the window instead of replication stalling forever.
        var windowFull = pr.State == ProgressState.Replicate && pr.Inflights.Full;
        if (!windowFull && pr.Next <= Log.LastIndex && Log.Entries(pr.Next, _options.MaxSizePerMessage, _scratch) != StorageStatus.Ok)
        {
            return MaybeSendSnapshot(to, pr);
        }
        if (_scratch.Count == 0 && !sendIfEmpty) return false;

        var entries = _scratch.ToArray();
        _scratch.Clear();
        long bytes = 0;
        foreach (var e in entries) bytes += e.Size;
        Send(new Message
        {
            To = to,
            Type = MessageType.Append,
            Index = prevIndex,
            LogTerm = prevTerm,
            Entries = entries,
            Commit = Log.Committed,
        });
        pr.SentEntries(entries.Length, bytes);
        return true;
    }

    private bool MaybeSendSnapshot(ulong to, Progress pr)
    {
        if (!pr.RecentActive) return false;
        var snapshot = Log.Storage.Snapshot;
        if (snapshot.IsEmpty)
        {
            _logger.Warning(Id, $"needs to send a snapshot to {to} but none is available yet");
            return false;
        }
        Send(new Message { To = to, Type = MessageType.Snapshot, Snapshot = snapshot });
        pr.BecomeSnapshot(snapshot.Index);
        _logger.Info(Id, $"sends snapshot {snapshot.Index}/{snapshot.Term} to {to}");
        return true;
    }

    private void BroadcastHeartbeat()
    {
        var context = _readIndexQueue.LastPendingContext;
        foreach (var id in Tracker.MemberIds)
        {
            if (id != Id) SendHeartbeat(id, context);
        }
    }

    private void SendHeartbeat(ulong to, ReadOnlyMemory<byte> context)
    {
        var pr = Tracker.Get(to)!;
        // Never tell a follower to commit beyond what it is known to hold: it might not have those entries.
        Send(new Message
        {
            To = to,
            Type = MessageType.Heartbeat,
            Commit = Math.Min(pr.Match, Log.Committed),
            Context = context,
            Index = (ulong)_leaderTicks,
        });
    }

    private void HandleAppendResponse(Message m, Progress pr)
    {
        pr.RecentActive = true;
        if (m.Reject)
        {
            var nextProbe = m.RejectHint;
            if (m.LogTerm > 0)
            {
                // The follower told us its term at RejectHint: skip every entry of ours with a larger term.
                (nextProbe, _) = Log.FindConflictByTerm(m.RejectHint, m.LogTerm);
            }
            if (pr.MaybeDecrTo(m.Index, nextProbe))
            {
                if (pr.State == ProgressState.Replicate) pr.BecomeProbe();
                MaybeSendAppend(m.From, sendIfEmpty: true);
            }
            return;
        }

        if (m.Index > Log.LastIndex)
        {
            _logger.Warning(Id, $"ignored Append response from {m.From} acknowledging {m.Index} beyond our last index {Log.LastIndex}");
            return;
        }
        if (!pr.MaybeUpdate(m.Index) && !(pr.Match == m.Index && pr.State == ProgressState.Probe)) return;

        switch (pr.State)
        {
            case ProgressState.Probe:
                pr.BecomeReplicate();
                break;
            case ProgressState.Snapshot when pr.Match + 1 >= Log.FirstIndex:
                // The snapshot (or later entries) arrived: the follower can continue from the log.
                pr.BecomeProbe();
                pr.BecomeReplicate();
                break;
            case ProgressState.Replicate:
                pr.Inflights.FreeLE(m.Index);
                break;
        }

        if (MaybeCommit()) _broadcastPending = true;
        while (MaybeSendAppend(m.From, sendIfEmpty: false)) { }

        if (m.From == LeadTransferee && pr.Match == Log.LastIndex)
        {
            _logger.Info(Id, $"transferee {m.From} caught up at {pr.Match}; sending TimeoutNow");
            SendTimeoutNow(m.From);
        }
    }

    private void HandleHeartbeatResponse(Message m, Progress pr)
    {
        pr.RecentActive = true;
        pr.MsgAppFlowPaused = false;
        RecordLeaseAck(m.From, m.Index);
        if (pr.Match < Log.LastIndex || pr.State == ProgressState.Probe) MaybeSendAppend(m.From, sendIfEmpty: true);
        if (m.Context.IsEmpty) return;
        var acks = _readIndexQueue.RecvAck(m.From, m.Context);
        if (acks is null) return;
        if (Tracker.Voters.Vote(id => acks.Contains(id) ? true : null) != Quorum.VoteResult.Won) return;
        foreach (var status in _readIndexQueue.Advance(m.Context)) RespondToReadIndex(status.Request, status.Index);
    }

    private bool HasUnappliedConfChange()
    {
        if (Log.Committed <= Log.Applied) return false;
        _scratch.Clear();
        // Scanning the committed-but-unapplied tail is bounded by what the host has yet to apply.
        if (Log.Slice(Log.Applied + 1, Log.Committed + 1, RaftConstants.NoLimit, _scratch) != StorageStatus.Ok)
        {
            _scratch.Clear();
            return false;
        }
        var found = _scratch.Exists(e => e.Type == EntryType.ConfChange);
        _scratch.Clear();
        return found;
    }
}
