namespace Lux.Raft.Log;

using Lux.Raft.Storage;

/// <summary>
/// A replica's log: the durable part in <see cref="IRaftStorage"/> followed by the unstable tail, plus the commit
/// and apply positions (Raft §5.3).
/// </summary>
internal sealed class RaftLog
{
    private readonly long _maxApplyingSize;
    private readonly List<Entry> _scratch = [];

    public RaftLog(IRaftStorage storage, long maxApplyingSize)
    {
        Storage = storage;
        _maxApplyingSize = maxApplyingSize;
        var first = storage.FirstIndex;
        Unstable = new UnstableLog(storage.LastIndex + 1);
        Committed = first - 1;
        Applying = first - 1;
        Applied = first - 1;
    }

    public IRaftStorage Storage { get; }

    public UnstableLog Unstable { get; }

    /// <summary>The highest index known to be committed.</summary>
    public ulong Committed { get; private set; }

    /// <summary>The highest index handed to the host to apply.</summary>
    public ulong Applying { get; private set; }

    /// <summary>The highest index the host reported applied.</summary>
    public ulong Applied { get; private set; }

    public ulong FirstIndex => Unstable.MaybeFirstIndex ?? Storage.FirstIndex;

    public ulong LastIndex => Unstable.MaybeLastIndex ?? Storage.LastIndex;

    public ulong LastTerm => TermOrZero(LastIndex);

    /// <summary>The highest index up to which the durable log agrees with this log (the leader's own acknowledgement).</summary>
    public ulong DurableMatchIndex => Unstable.Snapshot is not null ? 0 : Math.Min(Storage.LastIndex, Unstable.Offset - 1);

    public StorageStatus TryGetTerm(ulong index, out ulong term)
    {
        term = 0;
        // The valid range is [FirstIndex - 1, LastIndex]: the entry before the first is the snapshot point.
        if (index + 1 < FirstIndex) return StorageStatus.Compacted;
        if (index > LastIndex) return StorageStatus.Unavailable;
        if (Unstable.TryGetTerm(index, out term)) return StorageStatus.Ok;
        return Storage.TryGetTerm(index, out term);
    }

    public ulong TermOrZero(ulong index) => TryGetTerm(index, out var t) == StorageStatus.Ok ? t : 0;

    public bool MatchTerm(ulong index, ulong term) => TryGetTerm(index, out var t) == StorageStatus.Ok && t == term;

    /// <summary>Whether a log ending at (<paramref name="lastIndex"/>, <paramref name="term"/>) is at least as up to date as this one (Raft §5.4.1).</summary>
    public bool IsUpToDate(ulong lastIndex, ulong term)
    {
        var ourTerm = LastTerm;
        return term > ourTerm || (term == ourTerm && lastIndex >= LastIndex);
    }

    /// <summary>
    /// The follower's half of AppendEntries (Raft §5.3): if the log matches at (<paramref name="index"/>, <paramref name="logTerm"/>),
    /// appends the entries, truncating a conflicting suffix, and advances the commit index.
    /// </summary>
    public AppendOutcome MaybeAppend(ulong index, ulong logTerm, ulong committed, ReadOnlySpan<Entry> entries, out ulong lastNewIndex)
    {
        lastNewIndex = 0;
        if (!MatchTerm(index, logTerm)) return AppendOutcome.Mismatch;
        lastNewIndex = index + (ulong)entries.Length;
        var conflict = FindConflict(entries);
        if (conflict != 0)
        {
            // A leader never overwrites a committed entry (Leader Completeness); a message that tries is not from a correct leader.
            if (conflict <= Committed) return AppendOutcome.ConflictsWithCommitted;
            Append(entries[(int)(conflict - (index + 1))..]);
        }
        CommitTo(Math.Min(committed, lastNewIndex));
        return AppendOutcome.Appended;
    }

    /// <summary>Appends entries at the end (or over an uncommitted suffix) of the log; returns the new last index.</summary>
    public ulong Append(ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty) return LastIndex;
        if (entries[0].Index <= Committed)
        {
            throw new InvalidOperationException($"append at {entries[0].Index} would overwrite committed index {Committed}");
        }
        Unstable.TruncateAndAppend(entries);
        return LastIndex;
    }

    /// <summary>The index of the first entry that is not already in the log with the same term, or 0.</summary>
    public ulong FindConflict(ReadOnlySpan<Entry> entries)
    {
        foreach (var e in entries)
        {
            if (!MatchTerm(e.Index, e.Term)) return e.Index;
        }
        return 0;
    }

    /// <summary>
    /// The largest index at or below <paramref name="index"/> whose term is at most <paramref name="term"/>, with that term:
    /// the fast back-off after a rejected Append skips a whole term at a time (Raft §5.3, last paragraphs).
    /// </summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        if (index > LastIndex) return (index, 0);
        for (; index > 0; index--)
        {
            if (TryGetTerm(index, out var t) != StorageStatus.Ok) return (index, 0);
            if (t <= term) return (index, t);
        }
        return (0, 0);
    }

    public bool HasNextUnstableEntries => Unstable.HasNextEntries;

    public Entry[] NextUnstableEntries() => Unstable.NextEntries();

    /// <summary>Whether an incoming snapshot is pending or being persisted; entries are not applied meanwhile.</summary>
    public bool HasSnapshotPending => Unstable.Snapshot is not null;

    public bool HasNextCommittedEntries
    {
        get
        {
            if (HasSnapshotPending) return false;
            return Applying < Math.Min(Committed, LastIndex);
        }
    }

    /// <summary>Committed entries not yet handed out for applying, bounded by the apply size limit.</summary>
    public Entry[] NextCommittedEntries()
    {
        if (!HasNextCommittedEntries) return [];
        var lo = Applying + 1;
        var hi = Math.Min(Committed, LastIndex) + 1;
        _scratch.Clear();
        if (Slice(lo, hi, _maxApplyingSize, _scratch) != StorageStatus.Ok) return [];
        var result = _scratch.ToArray();
        _scratch.Clear();
        return result;
    }

    /// <summary>Entries from <paramref name="index"/> to the end, at most <paramref name="maxSize"/> bytes (at least one entry).</summary>
    public StorageStatus Entries(ulong index, long maxSize, List<Entry> into)
    {
        if (index > LastIndex) return StorageStatus.Ok;
        return Slice(index, LastIndex + 1, maxSize, into);
    }

    /// <summary>Entries [<paramref name="low"/>, <paramref name="high"/>), at most <paramref name="maxSize"/> bytes but at least one entry.</summary>
    public StorageStatus Slice(ulong low, ulong high, long maxSize, List<Entry> into)
    {
        if (low >= high) return StorageStatus.Ok;
        if (low < FirstIndex) return StorageStatus.Compacted;
        if (high > LastIndex + 1) return StorageStatus.Unavailable;
        var start = into.Count;
        var offset = Unstable.Offset;
        if (low < offset)
        {
            var status = Storage.GetEntries(low, Math.Min(high, offset), maxSize, into);
            if (status != StorageStatus.Ok) return status;
            // Storage stopped early because of the size limit: do not continue into the unstable part.
            if ((ulong)(into.Count - start) < Math.Min(high, offset) - low) return StorageStatus.Ok;
        }
        if (high > offset)
        {
            long size = 0;
            for (var i = start; i < into.Count; i++) size += into[i].Size;
            for (var i = Math.Max(low, offset); i < high; i++)
            {
                var e = Unstable.EntryAt(i);
                size += e.Size;
                if (into.Count > start && size > maxSize) break;
                into.Add(e);
            }
        }
        return StorageStatus.Ok;
    }

    /// <summary>Advances the commit index to <paramref name="maxIndex"/> if that entry is of <paramref name="term"/> (only current-term entries commit by counting, Raft §5.4.2).</summary>
    public bool MaybeCommit(ulong maxIndex, ulong term)
    {
        if (maxIndex > Committed && TermOrZero(maxIndex) == term)
        {
            CommitTo(maxIndex);
            return true;
        }
        return false;
    }

    /// <summary>Advances the commit index; never beyond the log, never backwards.</summary>
    public void CommitTo(ulong index)
    {
        if (Committed >= index) return;
        Committed = Math.Min(index, LastIndex);
    }

    public void AcceptApplying(ulong index) => Applying = Math.Max(Applying, index);

    public void AppliedTo(ulong index)
    {
        if (index == 0 || Applied >= index) return;
        Applied = index;
        Applying = Math.Max(Applying, index);
    }

    public void StableTo(ulong index, ulong term) => Unstable.StableTo(index, term);

    public void StableSnapTo(ulong index) => Unstable.StableSnapTo(index);

    /// <summary>Replaces the log by a snapshot point (Raft §7).</summary>
    public void Restore(SnapshotMetadata snapshot)
    {
        Committed = snapshot.Index;
        Unstable.Restore(snapshot);
    }

    /// <summary>Every entry from the first index to the last (tests and diagnostics).</summary>
    public List<Entry> AllEntries()
    {
        var list = new List<Entry>();
        Slice(FirstIndex, LastIndex + 1, RaftConstants.NoLimit, list);
        return list;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"first={FirstIndex} last={LastIndex} committed={Committed} applying={Applying} applied={Applied} unstable.offset={Unstable.Offset}/{Unstable.OffsetInProgress} unstable.count={Unstable.Count}";
}

/// <summary>The result of <see cref="RaftLog.MaybeAppend"/>.</summary>
internal enum AppendOutcome : byte
{
    Appended,
    Mismatch,
    ConflictsWithCommitted,
}
