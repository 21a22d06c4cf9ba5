namespace Lux.Raft.Storage;

/// <summary>
/// An in-memory <see cref="IRaftLogStore"/>: the reference implementation of the storage contract, used by tests,
/// the simulator and benchmarks. Writes are "durable" as soon as they return.
/// </summary>
public sealed class MemoryStorage : IRaftLogStore
{
    // _entries[0] is a dummy standing for the snapshot point (its index and term); real entries follow.
    private readonly List<Entry> _entries = [new Entry(0, 0, default)];
    private HardState _hardState;
    private SnapshotMetadata _snapshot = SnapshotMetadata.Empty;
    private ConfState _confState = new();

    /// <summary>Creates empty storage.</summary>
    public MemoryStorage() { }

    /// <summary>Creates storage that starts with the given membership, as a brand-new cluster does.</summary>
    public MemoryStorage(ConfState confState) => _confState = confState;

    /// <inheritdoc />
    public RaftInitialState InitialState() => new(_hardState, _confState);

    /// <summary>The current hard state.</summary>
    public HardState HardState => _hardState;

    /// <inheritdoc />
    public ulong FirstIndex => _entries[0].Index + 1;

    /// <inheritdoc />
    public ulong LastIndex => _entries[0].Index + (ulong)_entries.Count - 1;

    /// <inheritdoc />
    public SnapshotMetadata Snapshot => _snapshot;

    /// <summary>Replaces the membership reported by <see cref="InitialState"/>.</summary>
    public void SetConfState(ConfState confState) => _confState = confState;

    /// <summary>Records the hard state.</summary>
    public void SetHardState(HardState hardState) => _hardState = hardState;

    /// <inheritdoc />
    public StorageStatus TryGetTerm(ulong index, out ulong term)
    {
        var offset = _entries[0].Index;
        term = 0;
        if (index < offset) return StorageStatus.Compacted;
        if (index - offset >= (ulong)_entries.Count) return StorageStatus.Unavailable;
        term = _entries[(int)(index - offset)].Term;
        return StorageStatus.Ok;
    }

    /// <inheritdoc />
    public StorageStatus GetEntries(ulong low, ulong high, long maxBytes, List<Entry> into)
    {
        var offset = _entries[0].Index;
        if (low <= offset) return StorageStatus.Compacted;
        if (high > LastIndex + 1) return StorageStatus.Unavailable;
        long size = 0;
        for (var i = low; i < high; i++)
        {
            var entry = _entries[(int)(i - offset)];
            size += entry.Size;
            if (i > low && size > maxBytes) break;
            into.Add(entry);
        }
        return StorageStatus.Ok;
    }

    /// <summary>Appends entries, truncating any stored suffix they conflict with.</summary>
    public void Append(ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty) return;
        var first = FirstIndex;
        var last = entries[^1].Index;
        if (last < first) return; // all already compacted
        if (first > entries[0].Index) entries = entries[(int)(first - entries[0].Index)..];

        var offset = entries[0].Index - _entries[0].Index;
        if ((ulong)_entries.Count > offset)
        {
            _entries.RemoveRange((int)offset, _entries.Count - (int)offset);
        }
        else if ((ulong)_entries.Count < offset)
        {
            throw new InvalidOperationException($"missing log entries: last {LastIndex}, appending at {entries[0].Index}");
        }
        foreach (var e in entries) _entries.Add(e);
    }

    /// <summary>Replaces the log with a snapshot point; entries after it are dropped unless they match its term.</summary>
    public void ApplySnapshot(SnapshotMetadata snapshot)
    {
        if (snapshot.Index <= _snapshot.Index) return;
        var keepFrom = -1;
        if (TryGetTerm(snapshot.Index, out var term) == StorageStatus.Ok && term == snapshot.Term)
        {
            keepFrom = (int)(snapshot.Index - _entries[0].Index);
        }
        var kept = keepFrom >= 0 ? _entries.GetRange(keepFrom + 1, _entries.Count - keepFrom - 1) : [];
        _entries.Clear();
        _entries.Add(new Entry(snapshot.Index, snapshot.Term, default));
        _entries.AddRange(kept);
        _snapshot = snapshot;
        _confState = snapshot.ConfState;
        if (_hardState.Commit < snapshot.Index) _hardState = _hardState with { Commit = snapshot.Index };
    }

    /// <summary>Records that a snapshot up to <paramref name="index"/> (at most the last index) exists, with the given membership.</summary>
    public SnapshotMetadata CreateSnapshot(ulong index, ConfState confState)
    {
        if (index <= _snapshot.Index) return _snapshot;
        if (TryGetTerm(index, out var term) != StorageStatus.Ok)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"snapshot index must be within [{FirstIndex}, {LastIndex}]");
        }
        _snapshot = new SnapshotMetadata(index, term, confState);
        // A restart resumes from the snapshot: its membership is the one to start with.
        _confState = confState;
        return _snapshot;
    }

    /// <summary>Records a snapshot of the host's own state machine without dropping entries (see <see cref="IRaftLogStore.RecordSnapshotAsync"/>).</summary>
    public void RecordSnapshot(SnapshotMetadata snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Index <= _snapshot.Index) return;
        if (TryGetTerm(snapshot.Index, out var term) != StorageStatus.Ok || term != snapshot.Term)
        {
            throw new ArgumentException($"the log does not hold entry {snapshot.Index} of term {snapshot.Term}", nameof(snapshot));
        }
        _snapshot = snapshot;
        _confState = snapshot.ConfState;
        if (_hardState.Commit < snapshot.Index) _hardState = _hardState with { Commit = snapshot.Index };
    }

    /// <summary>Discards entries before <paramref name="compactIndex"/>; the entry at it becomes the dummy.</summary>
    public void Compact(ulong compactIndex)
    {
        var offset = _entries[0].Index;
        if (compactIndex <= offset) return;
        if (compactIndex > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(compactIndex), compactIndex, $"beyond last index {LastIndex}");
        }
        var i = (int)(compactIndex - offset);
        var dummy = _entries[i] with { Type = EntryType.Normal, Data = default };
        _entries.RemoveRange(0, i);
        _entries[0] = dummy;
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(HardState? hardState, ReadOnlyMemory<Entry> entries, CancellationToken cancellationToken = default)
    {
        Append(entries.Span);
        if (hardState is { } hs) _hardState = hs;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask ApplySnapshotAsync(SnapshotMetadata snapshot, CancellationToken cancellationToken = default)
    {
        ApplySnapshot(snapshot);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RecordSnapshotAsync(SnapshotMetadata snapshot, CancellationToken cancellationToken = default)
    {
        RecordSnapshot(snapshot);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask CompactAsync(ulong compactIndex, CancellationToken cancellationToken = default)
    {
        Compact(compactIndex);
        return ValueTask.CompletedTask;
    }
}
