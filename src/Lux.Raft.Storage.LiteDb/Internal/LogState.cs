using Lux.Raft.Storage;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// A partition's log as metadata only: the dummy entry at the snapshot point, the last index, the terms as runs, hard
/// state, membership and snapshot. Every mutation follows <see cref="MemoryStorage"/> step for step, because the
/// group-commit writer runs it on its own copy to plan the LiteDB writes and the store runs it again on the readers'
/// copy once the batch is synced: both must arrive at the same state as the reference implementation.
/// </summary>
internal sealed class LogState
{
    // Terms of (DummyIndex, LastIndex] as (first index, term) runs; Raft logs change term rarely, so this stays tiny.
    private readonly List<(ulong Start, ulong Term)> _runs = [];

    public ulong DummyIndex { get; private set; }
    public ulong DummyTerm { get; private set; }
    public ulong LastIndex { get; private set; }
    public HardState HardState { get; set; }
    public ConfState ConfState { get; set; } = new();
    public SnapshotMetadata Snapshot { get; private set; } = SnapshotMetadata.Empty;

    public ulong FirstIndex => DummyIndex + 1;

    public IReadOnlyList<(ulong Start, ulong Term)> TermRuns => _runs;

    public LogState Clone()
    {
        var copy = new LogState
        {
            DummyIndex = DummyIndex, DummyTerm = DummyTerm, LastIndex = LastIndex,
            HardState = HardState, ConfState = ConfState, Snapshot = Snapshot,
        };
        copy._runs.AddRange(_runs);
        return copy;
    }

    /// <summary>Restores a decoded state.</summary>
    public void Load(ulong dummyIndex, ulong dummyTerm, ulong lastIndex, HardState hardState, ConfState confState,
        SnapshotMetadata snapshot, IEnumerable<(ulong Start, ulong Term)> runs)
    {
        DummyIndex = dummyIndex;
        DummyTerm = dummyTerm;
        LastIndex = lastIndex;
        HardState = hardState;
        ConfState = confState;
        Snapshot = snapshot;
        _runs.Clear();
        _runs.AddRange(runs);
    }

    public StorageStatus TryGetTerm(ulong index, out ulong term)
    {
        term = 0;
        if (index < DummyIndex) return StorageStatus.Compacted;
        if (index > LastIndex) return StorageStatus.Unavailable;
        if (index == DummyIndex)
        {
            term = DummyTerm;
            return StorageStatus.Ok;
        }
        var last = _runs.Count - 1;
        if (_runs[last].Start <= index)
        {
            term = _runs[last].Term;
            return StorageStatus.Ok;
        }
        int lo = 0, hi = last;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_runs[mid].Start <= index) lo = mid;
            else hi = mid - 1;
        }
        term = _runs[lo].Term;
        return StorageStatus.Ok;
    }

    /// <summary>
    /// What an append does, decided as <see cref="MemoryStorage.Append"/> decides it: which of the given entries are
    /// kept (those below the first index are already compacted) and from which index the stored suffix is replaced.
    /// Throws, before changing anything, when the entries would leave a gap.
    /// </summary>
    public AppendPlan PlanAppend(ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty) return default;
        var first = FirstIndex;
        if (entries[^1].Index < first) return default;
        var skip = first > entries[0].Index ? (int)(first - entries[0].Index) : 0;
        var start = entries[skip].Index;
        if (start > LastIndex + 1)
        {
            throw new InvalidOperationException($"missing log entries: last {LastIndex}, appending at {start}");
        }
        return new AppendPlan(skip, entries.Length - skip, start, start <= LastIndex);
    }

    /// <summary>Applies a planned append: truncates the conflicting suffix and appends.</summary>
    public void Append(ReadOnlySpan<Entry> entries, in AppendPlan plan)
    {
        if (plan.Count == 0) return;
        if (plan.Truncates) TruncateFrom(plan.Start);
        foreach (ref readonly var e in entries.Slice(plan.Skip, plan.Count))
        {
            if (_runs.Count == 0 || _runs[^1].Term != e.Term) _runs.Add((e.Index, e.Term));
            LastIndex = e.Index;
        }
    }

    /// <summary>What <see cref="MemoryStorage.ApplySnapshot"/> does; returns false when it ignores an older snapshot.</summary>
    public bool ApplySnapshot(SnapshotMetadata snapshot, out bool keptEntries)
    {
        keptEntries = false;
        if (snapshot.Index <= Snapshot.Index) return false;
        keptEntries = TryGetTerm(snapshot.Index, out var term) == StorageStatus.Ok && term == snapshot.Term;
        if (keptEntries)
        {
            DropRunsThrough(snapshot.Index);
        }
        else
        {
            _runs.Clear();
            LastIndex = snapshot.Index;
        }
        DummyIndex = snapshot.Index;
        DummyTerm = snapshot.Term;
        Snapshot = snapshot;
        ConfState = snapshot.ConfState;
        if (HardState.Commit < snapshot.Index) HardState = HardState with { Commit = snapshot.Index };
        return true;
    }

    /// <summary>What <see cref="MemoryStorage.RecordSnapshot"/> does; false when it ignores an older snapshot. Throws before changing anything.</summary>
    public bool RecordSnapshot(SnapshotMetadata snapshot)
    {
        if (snapshot.Index <= Snapshot.Index) return false;
        if (TryGetTerm(snapshot.Index, out var term) != StorageStatus.Ok || term != snapshot.Term)
        {
            throw new ArgumentException($"the log does not hold entry {snapshot.Index} of term {snapshot.Term}", nameof(snapshot));
        }
        Snapshot = snapshot;
        ConfState = snapshot.ConfState;
        if (HardState.Commit < snapshot.Index) HardState = HardState with { Commit = snapshot.Index };
        return true;
    }

    /// <summary>Checks a compaction as <see cref="MemoryStorage.Compact"/> does; false when it changes nothing.</summary>
    public bool CheckCompact(ulong compactIndex)
    {
        if (compactIndex <= DummyIndex) return false;
        if (compactIndex > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(compactIndex), compactIndex, $"beyond last index {LastIndex}");
        }
        return true;
    }

    /// <summary>What <see cref="MemoryStorage.Compact"/> does: the entry at <paramref name="compactIndex"/> becomes the dummy.</summary>
    public void Compact(ulong compactIndex)
    {
        if (!CheckCompact(compactIndex)) return;
        TryGetTerm(compactIndex, out var term);
        DropRunsThrough(compactIndex);
        DummyIndex = compactIndex;
        DummyTerm = term;
    }

    /// <summary>Cuts the log back to <paramref name="lastIndex"/> (recovery of a damaged tail).</summary>
    public void CutBack(ulong lastIndex)
    {
        if (lastIndex >= LastIndex) return;
        TruncateFrom(Math.Max(lastIndex, DummyIndex) + 1);
    }

    private void TruncateFrom(ulong index)
    {
        while (_runs.Count > 0 && _runs[^1].Start >= index) _runs.RemoveAt(_runs.Count - 1);
        LastIndex = index - 1;
    }

    private void DropRunsThrough(ulong index)
    {
        // Keep the run covering index + 1, restarted there.
        var keepFrom = 0;
        while (keepFrom < _runs.Count && (keepFrom + 1 < _runs.Count ? _runs[keepFrom + 1].Start <= index + 1 : false)) keepFrom++;
        if (keepFrom > 0) _runs.RemoveRange(0, keepFrom);
        if (_runs.Count > 0)
        {
            if (_runs[0].Start <= index)
            {
                if (index + 1 <= LastIndex) _runs[0] = (index + 1, _runs[0].Term);
                else _runs.Clear();
            }
        }
    }
}

/// <summary>The decision <see cref="LogState.PlanAppend"/> makes about an append.</summary>
/// <param name="Skip">Leading entries already compacted.</param>
/// <param name="Count">Entries to store.</param>
/// <param name="Start">Index of the first stored entry.</param>
/// <param name="Truncates">Whether the stored suffix from <paramref name="Start"/> is replaced.</param>
internal readonly record struct AppendPlan(int Skip, int Count, ulong Start, bool Truncates);
