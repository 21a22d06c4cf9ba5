namespace Lux.Raft;

using Lux.Raft.Log;
using Lux.Raft.ReadOnly;
using Lux.Raft.Storage;
using Lux.Raft.Tracking;

/// <summary>
/// One replica's Raft state machine: a plain value driven by <see cref="Step"/> and <see cref="Tick"/>, producing
/// messages and log changes that <see cref="RawNode"/> packs into a <see cref="Ready"/>. No I/O, no clock, no threads.
/// Split by concern: election (Raft.Election.cs), replication (Raft.Replication.cs), message handling (Raft.Step.cs),
/// reads (Raft.ReadIndex.cs) and leadership transfer (Raft.Transfer.cs).
/// </summary>
internal sealed partial class Raft
{
    private readonly RaftOptions _options;
    private readonly IRaftLogger _logger;

    public IRaftLogger Logger => _logger;
    private readonly DeterministicRandom _random;
    private readonly List<Message> _messages = [];
    private readonly List<ReadState> _readStates = [];
    private readonly ReadIndexQueue _readIndexQueue = new();
    private readonly List<Message> _pendingReadIndexMessages = [];
    private readonly List<Entry> _scratch = [];

    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private long _uncommittedSize;
    private bool _broadcastPending;

    public Raft(RaftOptions options)
    {
        options.Validate();
        _options = options;
        _logger = options.Logger;
        _random = new DeterministicRandom(options.Seed ^ (options.Id * 0x9E3779B97F4A7C15UL));
        Id = options.Id;
        Log = new RaftLog(options.Storage, options.MaxCommittedSizePerReady);
        Tracker = new ProgressTracker(options.MaxInflightMessages, RaftConstants.NoLimit);
        ElectionTimeout = options.ElectionTick;
        HeartbeatTimeout = options.HeartbeatTick;
        LeaseTicks = options.LeaseTicks > 0 ? options.LeaseTicks : Math.Max(1, options.ElectionTick - 2);

        var (hardState, confState) = options.Storage.InitialState();
        Tracker.Apply(confState, Log.LastIndex + 1);
        if (!hardState.IsEmpty) LoadState(hardState);
        // Before a restart this replica may have acknowledged a leader whose lease still runs, and it no longer
        // remembers that: it honours the lease blindly for one election timeout (thesis §6.4.1).
        if (hardState.Term > 0) _restartGuardTicks = ElectionTimeout;
        if (options.Applied > 0) Log.AppliedTo(Math.Min(options.Applied, Log.Committed));
        BecomeFollower(Term, RaftConstants.None);
        _logger.Info(Id, $"starting at term {Term}, {Log}, members {Tracker.ConfState}");
    }

    public ulong Id { get; }

    public ulong Term { get; private set; }

    public ulong Vote { get; private set; }

    public ulong Lead { get; private set; }

    public StateRole Role { get; private set; }

    public RaftLog Log { get; }

    public ProgressTracker Tracker { get; }

    public int ElectionTimeout { get; }

    public int HeartbeatTimeout { get; }

    /// <summary>The leader-lease length in ticks (thesis §6.4.1).</summary>
    public int LeaseTicks { get; }

    /// <summary>The member a leadership transfer is handing over to, or None.</summary>
    public ulong LeadTransferee { get; private set; }

    /// <summary>
    /// Whether this replica may campaign: it is a voter, or its configuration no longer names it at all. A removed
    /// replica may still be needed to elect a leader until every voter of the new configuration knows that the change
    /// is committed, so it keeps starting elections and simply does not count its own vote (thesis §4.2.2). A learner
    /// never campaigns, nor does a replica that has no configuration or no log yet.
    /// </summary>
    public bool Promotable =>
        Tracker.IsVoter(Id) || (Tracker.Get(Id) is null && Tracker.Voters.Ids.Count > 0 && Log.LastIndex > 0);

    public HardState HardState => new(Term, Vote, Log.Committed);

    public SoftState SoftState => new(Lead, Role);

    public bool HasPendingWork => _messages.Count > 0 || _readStates.Count > 0 || _broadcastPending;

    /// <summary>Takes the messages produced so far, after flushing batched Appends.</summary>
    public List<Message> TakeMessages()
    {
        FlushBroadcast();
        var taken = new List<Message>(_messages);
        _messages.Clear();
        return taken;
    }

    public List<ReadState> TakeReadStates()
    {
        var taken = new List<ReadState>(_readStates);
        _readStates.Clear();
        return taken;
    }

    private void LoadState(HardState state)
    {
        var last = Log.LastIndex;
        if (state.Commit > last)
        {
            // The persisted commit index may run ahead of a log that lost an unsynced tail; never apply beyond the log.
            _logger.Warning(Id, $"persisted commit {state.Commit} is beyond last index {last}; using {last}");
        }
        Log.CommitTo(Math.Min(state.Commit, last));
        Term = state.Term;
        Vote = state.Vote;
    }

    private void Send(Message message)
    {
        var m = message.From == RaftConstants.None ? message with { From = Id } : message;
        // Responses to votes carry the term the vote was for (pre-votes: the future term); everything else our term.
        if (m.Type is not (MessageType.Vote or MessageType.VoteResponse or MessageType.PreVote or MessageType.PreVoteResponse)
            && m.Term == 0)
        {
            m = m with { Term = Term };
        }
        _messages.Add(m);
    }

    private void Reset(ulong term)
    {
        if (Term != term)
        {
            Term = term;
            Vote = RaftConstants.None;
        }
        Lead = RaftConstants.None;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        ResetRandomizedElectionTimeout();
        AbortLeaderTransfer();
        Tracker.ResetVotes();
        Tracker.ResetProgress(Log.LastIndex);
        _uncommittedSize = 0;
        PendingConfIndex = 0;
        _broadcastPending = false;
        _readIndexQueue.Clear();
        _pendingReadIndexMessages.Clear();
        _leaseAcks.Clear();
        _leaderTicks = 0;
    }

    private void ResetRandomizedElectionTimeout() =>
        _randomizedElectionTimeout = ElectionTimeout + _random.Next(ElectionTimeout);

    private bool PastElectionTimeout => _electionElapsed >= _randomizedElectionTimeout;

    public void BecomeFollower(ulong term, ulong lead)
    {
        var wasLeader = Role == StateRole.Leader;
        Reset(term);
        Lead = lead;
        Role = StateRole.Follower;
        if (wasLeader) _logger.Info(Id, $"stepped down at term {Term}");
    }

    private void BecomePreCandidate()
    {
        if (Role == StateRole.Leader) throw new InvalidOperationException("leader cannot become pre-candidate");
        // A pre-candidate changes neither term nor vote: it only asks whether it could win.
        Tracker.ResetVotes();
        Lead = RaftConstants.None;
        Role = StateRole.PreCandidate;
    }

    private void BecomeCandidate()
    {
        if (Role == StateRole.Leader) throw new InvalidOperationException("leader cannot become candidate");
        Reset(Term + 1);
        Vote = Id;
        Role = StateRole.Candidate;
    }

    private void BecomeLeader()
    {
        if (Role == StateRole.Follower) throw new InvalidOperationException("follower cannot become leader without an election");
        Reset(Term);
        Lead = Id;
        Role = StateRole.Leader;
        // The leader counts only what it holds durably; the rest is acknowledged when the host reports it stable. A
        // removed replica elected to finish a membership change has no progress of its own and counts for nothing.
        if (Tracker.Get(Id) is { } self)
        {
            self.Match = Log.DurableMatchIndex;
            self.Next = Log.LastIndex + 1;
            self.BecomeReplicate();
            self.RecentActive = true;
        }
        // Any membership change in the log may still be unapplied: allow no new one until everything is (thesis §4.1).
        PendingConfIndex = Log.LastIndex;
        // A no-op of the new term lets the leader commit entries of earlier terms (Raft §5.4.2, §8).
        AppendEntries([new Entry(0, 0, default)]);
        _logger.Info(Id, $"became leader at term {Term}");
    }

    /// <summary>Advances logical time by one tick.</summary>
    public void Tick()
    {
        if (Role == StateRole.Leader) TickHeartbeat();
        else TickElection();
    }

    /// <summary>Ticks left during which a restarted replica withholds its vote from every candidate; see the constructor.</summary>
    private int _restartGuardTicks;

    private void TickElection()
    {
        if (_restartGuardTicks > 0) _restartGuardTicks--;
        _electionElapsed++;
        // The leader that sent TimeoutNow has abandoned the transfer by now.
        if (_electionElapsed >= ElectionTimeout) _transferCampaignTerm = 0;
        if (Promotable && PastElectionTimeout)
        {
            _electionElapsed = 0;
            Step(new Message { Type = MessageType.Hup, From = Id });
        }
    }

    private void TickHeartbeat()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        _leaderTicks++;
        if (_electionElapsed >= ElectionTimeout)
        {
            _electionElapsed = 0;
            if (_options.CheckQuorum) Step(new Message { Type = MessageType.CheckQuorum, From = Id });
            // A transfer that did not finish within an election timeout is abandoned (thesis §3.10).
            if (Role == StateRole.Leader && LeadTransferee != RaftConstants.None) AbortLeaderTransfer();
        }
        if (Role != StateRole.Leader) return;
        if (!Tracker.IsVoter(Id)) HandOffLeadership();
        if (_heartbeatElapsed >= HeartbeatTimeout)
        {
            _heartbeatElapsed = 0;
            Step(new Message { Type = MessageType.Beat, From = Id });
        }
    }

    /// <summary>The host made entries up to (<paramref name="index"/>, <paramref name="term"/>) durable.</summary>
    public void StableTo(ulong index, ulong term)
    {
        Log.StableTo(index, term);
        if (Role != StateRole.Leader) return;
        // The leader's own acknowledgement: only what is on its disk counts toward the quorum.
        var durable = Log.DurableMatchIndex;
        if (Tracker.Get(Id) is { } self && self.MaybeUpdate(durable) && MaybeCommit()) _broadcastPending = true;
    }

    /// <summary>The host installed the snapshot at <paramref name="index"/>.</summary>
    public void StableSnapTo(ulong index) => Log.StableSnapTo(index);

    /// <summary>The host applied entries up to <paramref name="index"/>.</summary>
    public void AppliedTo(ulong index, long appliedBytes)
    {
        Log.AppliedTo(index);
        if (Role == StateRole.Leader) _uncommittedSize = Math.Max(0, _uncommittedSize - appliedBytes);
        MaybeAutoLeave();
        MaybeRunDeferredTransferCampaign();
    }

    public override string ToString() => $"[{Id} {Role} term={Term} lead={Lead} {Log}]";
}
