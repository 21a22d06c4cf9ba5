namespace Lux.Raft.Log;

/// <summary>
/// The tail of the log (and possibly an incoming snapshot) that the host has not yet made durable. Entries move out
/// of here once the host reports them stable. Entries handed to the host in a Ready but not yet reported stable are
/// "in progress": they are not handed out again.
/// </summary>
internal sealed class UnstableLog
{
    private readonly List<Entry> _entries = [];

    public UnstableLog(ulong offset)
    {
        Offset = offset;
        OffsetInProgress = offset;
    }

    /// <summary>An incoming snapshot not yet persisted.</summary>
    public SnapshotMetadata? Snapshot { get; private set; }

    /// <summary>Whether <see cref="Snapshot"/> was handed to the host.</summary>
    public bool SnapshotInProgress { get; private set; }

    /// <summary>The index of the first unstable entry.</summary>
    public ulong Offset { get; private set; }

    /// <summary>The index of the first entry not yet handed to the host.</summary>
    public ulong OffsetInProgress { get; private set; }

    public int Count => _entries.Count;

    public ulong? MaybeFirstIndex => Snapshot is { } s ? s.Index + 1 : null;

    public ulong? MaybeLastIndex =>
        _entries.Count > 0 ? Offset + (ulong)_entries.Count - 1 : Snapshot is { } s ? s.Index : null;

    public bool TryGetTerm(ulong index, out ulong term)
    {
        term = 0;
        if (index < Offset)
        {
            if (Snapshot is { } s && s.Index == index)
            {
                term = s.Term;
                return true;
            }
            return false;
        }
        if (MaybeLastIndex is not { } last || index > last) return false;
        term = _entries[(int)(index - Offset)].Term;
        return true;
    }

    public bool HasNextEntries => OffsetInProgress < Offset + (ulong)_entries.Count;

    public bool HasNextSnapshot => Snapshot is not null && !SnapshotInProgress;

    /// <summary>Entries not yet handed to the host.</summary>
    public Entry[] NextEntries()
    {
        var start = (int)(OffsetInProgress - Offset);
        if (start >= _entries.Count) return [];
        var result = new Entry[_entries.Count - start];
        _entries.CopyTo(start, result, 0, result.Length);
        return result;
    }

    /// <summary>Marks everything handed out so far as in progress.</summary>
    public void AcceptInProgress()
    {
        if (_entries.Count > 0) OffsetInProgress = Offset + (ulong)_entries.Count;
        if (Snapshot is not null) SnapshotInProgress = true;
    }

    /// <summary>The host made entries up to (<paramref name="index"/>, <paramref name="term"/>) durable.</summary>
    public void StableTo(ulong index, ulong term)
    {
        if (!TryGetTerm(index, out var t)) return;
        // A matching index below Offset is the snapshot itself; entries are only released when they still carry
        // the term that was persisted (a later append may have replaced them in the meantime).
        if (index < Offset || t != term) return;
        var n = (int)(index + 1 - Offset);
        _entries.RemoveRange(0, n);
        Offset = index + 1;
        OffsetInProgress = Math.Max(OffsetInProgress, Offset);
        if (_entries.Count == 0 && _entries.Capacity > 4096) _entries.Capacity = 64;
    }

    public void StableSnapTo(ulong index)
    {
        if (Snapshot is { } s && s.Index == index)
        {
            Snapshot = null;
            SnapshotInProgress = false;
        }
    }

    public void Restore(SnapshotMetadata snapshot)
    {
        Offset = snapshot.Index + 1;
        OffsetInProgress = Offset;
        _entries.Clear();
        Snapshot = snapshot;
        SnapshotInProgress = false;
    }

    public void TruncateAndAppend(ReadOnlySpan<Entry> entries)
    {
        var from = entries[0].Index;
        var end = Offset + (ulong)_entries.Count;
        if (from == end)
        {
            // The common case: a plain append.
        }
        else if (from <= Offset)
        {
            // Replaces the whole unstable part; storage will be overwritten from here.
            _entries.Clear();
            Offset = from;
            OffsetInProgress = from;
        }
        else
        {
            _entries.RemoveRange((int)(from - Offset), (int)(end - from));
            OffsetInProgress = Math.Min(OffsetInProgress, from);
        }
        foreach (var e in entries) _entries.Add(e);
    }

    /// <summary>Copies entries [<paramref name="low"/>, <paramref name="high"/>) into <paramref name="into"/>.</summary>
    public void Slice(ulong low, ulong high, List<Entry> into)
    {
        for (var i = low; i < high; i++) into.Add(_entries[(int)(i - Offset)]);
    }

    public Entry EntryAt(ulong index) => _entries[(int)(index - Offset)];
}
