namespace Lux.Raft.Tracking;

/// <summary>The leader's view of one follower (or learner): how far its log matches and what to send next (thesis §3.5, etcd's tracker).</summary>
public sealed class Progress
{
    /// <summary>Creates the progress of a member whose log is assumed to end at <paramref name="next"/> - 1.</summary>
    public Progress(ulong next, int maxInflight, long maxInflightBytes, bool isLearner)
    {
        Next = next;
        Inflights = new Inflights(maxInflight, maxInflightBytes);
        IsLearner = isLearner;
    }

    /// <summary>The highest index known to be durably replicated on the member.</summary>
    public ulong Match { get; set; }

    /// <summary>The next index to send.</summary>
    public ulong Next { get; set; }

    /// <summary>How the leader replicates to the member.</summary>
    public ProgressState State { get; private set; } = ProgressState.Probe;

    /// <summary>In <see cref="ProgressState.Snapshot"/>: the index of the snapshot being sent.</summary>
    public ulong PendingSnapshot { get; private set; }

    /// <summary>Whether the member was heard from since the last quorum check.</summary>
    public bool RecentActive { get; set; }

    /// <summary>Whether sending Appends is paused (probe sent, or window full).</summary>
    public bool MsgAppFlowPaused { get; set; }

    /// <summary>The window of unacknowledged Appends.</summary>
    public Inflights Inflights { get; }

    /// <summary>Whether the member is a learner (receives the log, does not vote).</summary>
    public bool IsLearner { get; set; }

    /// <summary>Whether the leader should hold back Appends to this member.</summary>
    public bool IsPaused => State switch
    {
        ProgressState.Probe => MsgAppFlowPaused,
        ProgressState.Replicate => MsgAppFlowPaused,
        _ => true,
    };

    private void ResetState(ProgressState state)
    {
        MsgAppFlowPaused = false;
        PendingSnapshot = 0;
        State = state;
        Inflights.Reset();
    }

    /// <summary>Go back to probing, after a rejection, an unreachable report or a finished snapshot.</summary>
    public void BecomeProbe()
    {
        if (State == ProgressState.Snapshot)
        {
            var pending = PendingSnapshot;
            ResetState(ProgressState.Probe);
            Next = Math.Max(Match + 1, pending + 1);
        }
        else
        {
            ResetState(ProgressState.Probe);
            Next = Match + 1;
        }
    }

    /// <summary>Start pipelining: the follower's log is known to match up to <see cref="Match"/>.</summary>
    public void BecomeReplicate()
    {
        ResetState(ProgressState.Replicate);
        Next = Match + 1;
    }

    /// <summary>Wait for the snapshot at <paramref name="snapshotIndex"/> to be installed.</summary>
    public void BecomeSnapshot(ulong snapshotIndex)
    {
        ResetState(ProgressState.Snapshot);
        PendingSnapshot = snapshotIndex;
    }

    /// <summary>Records that an Append with <paramref name="entries"/> entries of <paramref name="bytes"/> bytes was sent.</summary>
    public void SentEntries(int entries, long bytes)
    {
        switch (State)
        {
            case ProgressState.Replicate:
                if (entries > 0)
                {
                    Next += (ulong)entries;
                    Inflights.Add(Next - 1, bytes);
                }
                MsgAppFlowPaused = Inflights.Full;
                break;
            case ProgressState.Probe:
                // One probe at a time: the answer (or a heartbeat response) unpauses.
                MsgAppFlowPaused = true;
                break;
            default:
                throw new InvalidOperationException($"sending entries in state {State}");
        }
    }

    /// <summary>An acknowledgement of <paramref name="n"/>: returns whether it told the leader something new.</summary>
    public bool MaybeUpdate(ulong n)
    {
        var updated = false;
        if (Match < n)
        {
            Match = n;
            updated = true;
            MsgAppFlowPaused = false;
        }
        Next = Math.Max(Next, n + 1);
        return updated;
    }

    /// <summary>
    /// A rejection of the Append at <paramref name="rejected"/>, with the follower's hint that its log may match up to
    /// <paramref name="matchHint"/>. Returns false for a stale rejection (one that says nothing about the current Next).
    /// </summary>
    public bool MaybeDecrTo(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Replicate)
        {
            // In replicate state the only interesting rejection is of an index above Match.
            if (rejected <= Match) return false;
            Next = Match + 1;
            return true;
        }
        // In probe state only the answer to the probe at Next - 1 counts.
        if (Next - 1 != rejected) return false;
        Next = Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        MsgAppFlowPaused = false;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{State} match={Match} next={Next}" + (IsLearner ? " learner" : "") + (IsPaused ? " paused" : "")
        + (State == ProgressState.Snapshot ? $" pendingSnap={PendingSnapshot}" : "") + (Inflights.Count > 0 ? $" inflight={Inflights.Count}" : "");
}
