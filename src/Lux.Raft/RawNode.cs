namespace Lux.Raft;

using Lux.Raft.Tracking;

/// <summary>
/// The public face of one Raft replica. Feed it events with <see cref="Tick"/>, <see cref="Step"/>,
/// <see cref="Propose(ReadOnlyMemory{byte})"/>, <see cref="ReadIndex"/> and <see cref="TransferLeadership"/>; collect its work
/// with <see cref="Ready"/>, carry it out as <see cref="Lux.Raft.Ready"/> describes, and acknowledge it with
/// <see cref="Advance"/>. Events may be fed between <see cref="Ready"/> and <see cref="Advance"/> (for example while the
/// host's disk write is in flight); the next Ready comes only after Advance. Not thread-safe: one driver at a time.
/// </summary>
public sealed class RawNode
{
    private readonly Raft _raft;
    private readonly Entry[] _single = new Entry[1];
    private SoftState _prevSoft;
    private HardState _prevHard;
    private Ready? _outstanding;

    /// <summary>The state machine inside, for the simulator's invariant checks.</summary>
    internal Raft Raft => _raft;

    /// <summary>Creates a replica from its options, resuming from whatever the storage holds.</summary>
    public RawNode(RaftOptions options)
    {
        _raft = new Raft(options);
        _prevSoft = _raft.SoftState;
        _prevHard = _raft.HardState;
    }

    /// <summary>This replica's id.</summary>
    public ulong Id => _raft.Id;

    /// <summary>The current term, role and leader.</summary>
    public SoftState SoftState => _raft.SoftState;

    /// <summary>The current term, vote and commit index.</summary>
    public HardState HardState => _raft.HardState;

    /// <summary>Whether a leader lease is currently valid on this replica (see <see cref="ReadOnlyOption.LeaseBased"/>).</summary>
    public bool LeaseValid => _raft.LeaseValid;

    /// <summary>Advances logical time by one tick (elections, heartbeats, quorum checks, lease).</summary>
    public void Tick() => _raft.Tick();

    /// <summary>Starts an election now, as if the election timeout had elapsed.</summary>
    public void Campaign() => _raft.Step(new Message { Type = MessageType.Hup, From = Id });

    /// <summary>Proposes one command. Only the leader accepts; see <see cref="ProposeResult"/>.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> data)
    {
        if (data.IsEmpty) return new ProposeResult(ProposalRejection.Empty, 0, 0, 0, _raft.Lead);
        _single[0] = new Entry(0, 0, EntryType.Normal, data);
        var result = _raft.Propose(_single);
        _single[0] = default;
        return result;
    }

    /// <summary>Proposes several commands as one batch: one append, one Append message per follower.</summary>
    public ProposeResult Propose(ReadOnlySpan<ReadOnlyMemory<byte>> batch)
    {
        var entries = new Entry[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            if (batch[i].IsEmpty) return new ProposeResult(ProposalRejection.Empty, 0, 0, 0, _raft.Lead);
            entries[i] = new Entry(0, 0, EntryType.Normal, batch[i]);
        }
        return _raft.Propose(entries);
    }

    /// <summary>
    /// Proposes a membership change (leader only, one at a time). Apply it with <see cref="ApplyConfChange"/> when its
    /// entry is committed.
    /// </summary>
    public ProposeResult ProposeConfChange(Membership.ConfChange change) => _raft.ProposeConfChange(change);

    /// <summary>
    /// Applies a committed membership-change entry (call it while applying the entry) and returns the new configuration
    /// to record, or null when the entry is not a valid change for the current configuration.
    /// </summary>
    public ConfState? ApplyConfChange(Entry entry)
    {
        if (entry.Type != EntryType.ConfChange || !Membership.ConfChange.TryDecode(entry.Data.Span, out var change))
        {
            _raft.Logger.Warning(Id, $"entry {entry.Index} is not a membership change");
            return null;
        }
        return _raft.ApplyConfChange(change);
    }

    /// <summary>
    /// Hands a message from a peer to the replica. Messages of local kinds, addressed to another replica, or without a
    /// sender are refused (returns false); everything else is handled by the protocol rules and never throws.
    /// </summary>
    public bool Step(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Type.IsLocal() || message.Type > MessageTypes.MaxValue)
        {
            return Refuse(message, "local or unknown message kind from the network");
        }
        if (message.To != Id) return Refuse(message, "addressed to another replica");
        if (message.From == RaftConstants.None || message.From == Id) return Refuse(message, "no valid sender");
        if (message.Term == 0) return Refuse(message, "no term");
        _raft.Step(message);
        return true;
    }

    private bool Refuse(Message message, string why)
    {
        _raft.Logger.Warning(Id, $"refused {message.Type} from {message.From}: {why}");
        return false;
    }

    /// <summary>
    /// Requests a linearizable read. When it is safe, a <see cref="ReadState"/> with the same context appears in a
    /// Ready; serve the read once the state machine has applied its index. Use a unique context per request.
    /// On a follower the request is forwarded to the leader. If leadership changes the request may be dropped: retry.
    /// </summary>
    public void ReadIndex(ReadOnlyMemory<byte> context) =>
        _raft.Step(new Message { Type = MessageType.ReadIndex, From = Id, Context = context });

    /// <summary>Asks the leader to hand leadership to <paramref name="transferee"/> (forwarded if this replica is a follower).</summary>
    public void TransferLeadership(ulong transferee) =>
        _raft.Step(new Message { Type = MessageType.TransferLeader, From = transferee });

    /// <summary>The transport could not deliver to <paramref name="id"/>; the leader stops pipelining to it.</summary>
    public void ReportUnreachable(ulong id) => _raft.Step(new Message { Type = MessageType.Unreachable, From = id });

    /// <summary>Reports the outcome of sending a snapshot to <paramref name="id"/>.</summary>
    public void ReportSnapshot(ulong id, bool success) =>
        _raft.Step(new Message { Type = MessageType.SnapshotStatus, From = id, Reject = !success });

    /// <summary>Whether <see cref="Ready"/> has work to hand out. False while a Ready awaits <see cref="Advance"/>.</summary>
    public bool HasReady
    {
        get
        {
            if (_outstanding is not null) return false;
            if (_raft.SoftState != _prevSoft) return true;
            var hs = _raft.HardState;
            if (!hs.IsEmpty && hs != _prevHard) return true;
            var log = _raft.Log;
            return log.Unstable.HasNextSnapshot || log.HasNextUnstableEntries || _raft.HasPendingWork || log.HasNextCommittedEntries;
        }
    }

    /// <summary>Collects the work to do. Must be followed by <see cref="Advance"/> before the next call.</summary>
    public Ready Ready()
    {
        if (_outstanding is not null) throw new InvalidOperationException("the previous Ready has not been advanced");
        var log = _raft.Log;
        var messages = _raft.TakeMessages();
        var snapshot = log.Unstable.HasNextSnapshot ? log.Unstable.Snapshot : null;
        var entries = log.NextUnstableEntries();
        var committed = log.NextCommittedEntries();
        var soft = _raft.SoftState;
        var hard = _raft.HardState;
        var termOrVoteChanged = hard.Term != _prevHard.Term || hard.Vote != _prevHard.Vote;
        var ready = new Ready
        {
            SoftState = soft != _prevSoft ? soft : null,
            HardState = hard != _prevHard ? hard : null,
            Entries = entries,
            Snapshot = snapshot,
            CommittedEntries = committed,
            Messages = messages,
            ReadStates = _raft.TakeReadStates(),
            MustSync = entries.Length > 0 || termOrVoteChanged || snapshot is not null,
            // A leader whose term and vote are already durable may send while its own write is in flight: its
            // acknowledgement only counts once the write is reported stable (thesis §10.2.1).
            MessagesMayPrecedePersistence = soft.Role == StateRole.Leader && !termOrVoteChanged && snapshot is null,
        };
        log.Unstable.AcceptInProgress();
        if (committed.Length > 0) log.AcceptApplying(committed[^1].Index);
        _prevSoft = soft;
        _prevHard = hard;
        _outstanding = ready;
        return ready;
    }

    /// <summary>
    /// Acknowledges the last <see cref="Ready"/>: its entries, hard state and snapshot are durable, its messages sent
    /// and its committed entries applied.
    /// </summary>
    public void Advance()
    {
        var ready = _outstanding ?? throw new InvalidOperationException("Advance without an outstanding Ready");
        _outstanding = null;
        if (ready.Snapshot is { } snapshot)
        {
            // The host restored the state machine from the snapshot: it stands applied up to the snapshot's index.
            _raft.StableSnapTo(snapshot.Index);
            _raft.AppliedTo(snapshot.Index, 0);
        }
        if (ready.Entries.Length > 0)
        {
            var last = ready.Entries[^1];
            _raft.StableTo(last.Index, last.Term);
        }
        if (ready.CommittedEntries.Length > 0)
        {
            long bytes = 0;
            foreach (var e in ready.CommittedEntries) bytes += e.Data.Length;
            _raft.AppliedTo(ready.CommittedEntries[^1].Index, bytes);
        }
    }

    /// <summary>A snapshot of the replica's state for status pages and tests.</summary>
    public RaftStatus Status()
    {
        var progress = _raft.Role == StateRole.Leader
            ? _raft.Tracker.Progress.ToDictionary(p => p.Key, p => new ProgressStatus(p.Value.Match, p.Value.Next, p.Value.State, p.Value.IsLearner, p.Value.RecentActive))
            : new Dictionary<ulong, ProgressStatus>();
        return new RaftStatus(Id, _raft.HardState, _raft.SoftState, _raft.Log.Applied, _raft.Log.LastIndex,
            _raft.LeadTransferee, _raft.Tracker.ConfState, progress);
    }
}

/// <summary>The state of one replica.</summary>
public sealed record RaftStatus(
    ulong Id,
    HardState HardState,
    SoftState SoftState,
    ulong Applied,
    ulong LastIndex,
    ulong LeadTransferee,
    ConfState ConfState,
    IReadOnlyDictionary<ulong, ProgressStatus> Progress);

/// <summary>The leader's view of one member.</summary>
public readonly record struct ProgressStatus(ulong Match, ulong Next, ProgressState State, bool IsLearner, bool RecentActive);
