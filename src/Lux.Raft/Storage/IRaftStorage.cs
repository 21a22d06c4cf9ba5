namespace Lux.Raft.Storage;

/// <summary>The outcome of a storage read.</summary>
public enum StorageStatus : byte
{
    /// <summary>The read succeeded.</summary>
    Ok = 0,
    /// <summary>The index lies below the first retained entry: it was compacted into a snapshot.</summary>
    Compacted = 1,
    /// <summary>The index lies beyond the last entry.</summary>
    Unavailable = 2,
}

/// <summary>What a replica starts from: its persisted hard state and membership.</summary>
/// <param name="HardState">Term, vote and commit as last persisted.</param>
/// <param name="ConfState">The membership as of the last applied configuration in storage (snapshot or log).</param>
public readonly record struct RaftInitialState(HardState HardState, ConfState ConfState);

/// <summary>
/// The read side of a replica's stable log, as the core sees it (modelled on etcd's raft.Storage). It only ever
/// reflects what the host has made durable; the core keeps not-yet-persisted entries itself.
/// Implementations are called from the replica's single driving thread.
/// </summary>
public interface IRaftStorage
{
    /// <summary>The persisted hard state and membership.</summary>
    RaftInitialState InitialState();

    /// <summary>Index of the first entry that can be read; the snapshot's index plus one.</summary>
    ulong FirstIndex { get; }

    /// <summary>Index of the last entry (the snapshot's index when the log is empty).</summary>
    ulong LastIndex { get; }

    /// <summary>The term of the entry at <paramref name="index"/>; valid for FirstIndex-1 (the snapshot) through LastIndex.</summary>
    StorageStatus TryGetTerm(ulong index, out ulong term);

    /// <summary>
    /// Appends entries in [<paramref name="low"/>, <paramref name="high"/>) to <paramref name="into"/>, stopping once
    /// their total <see cref="Entry.Size"/> would pass <paramref name="maxBytes"/>, but always at least one entry.
    /// </summary>
    StorageStatus GetEntries(ulong low, ulong high, long maxBytes, List<Entry> into);

    /// <summary>The metadata of the most recent snapshot (empty if none).</summary>
    SnapshotMetadata Snapshot { get; }
}

/// <summary>
/// The write side of a replica's log, used by the host to persist each <see cref="Ready"/> before calling
/// <c>RawNode.Advance</c>. A completed task means the write is durable (synced to stable storage).
/// </summary>
public interface IRaftLogStore : IRaftStorage
{
    /// <summary>
    /// Durably records <paramref name="hardState"/> (when given) and <paramref name="entries"/>. Entries are contiguous;
    /// any stored entry at or after the first one's index is replaced (a conflicting suffix is truncated).
    /// </summary>
    ValueTask SaveAsync(HardState? hardState, ReadOnlyMemory<Entry> entries, CancellationToken cancellationToken = default);

    /// <summary>Durably replaces the log with the given snapshot's point: entries up to its index are dropped; later ones are kept only if they agree with it.</summary>
    ValueTask ApplySnapshotAsync(SnapshotMetadata snapshot, CancellationToken cancellationToken = default);

    /// <summary>
    /// Durably records a snapshot the host took of its own state machine, at an index the log still holds with the
    /// same term, without dropping any entry: the host compacts separately (<see cref="CompactAsync"/>), usually some
    /// entries below the snapshot, so a follower only a little behind still catches up from the log. Becomes the
    /// <see cref="IRaftStorage.Snapshot"/> and the membership <see cref="IRaftStorage.InitialState"/> reports; the
    /// recorded commit index is raised to it. An older snapshot than the current one is ignored.
    /// </summary>
    /// <exception cref="ArgumentException">The log does not hold the snapshot's index with its term.</exception>
    ValueTask RecordSnapshotAsync(SnapshotMetadata snapshot, CancellationToken cancellationToken = default);

    /// <summary>Discards entries before <paramref name="compactIndex"/>, which must already be covered by a snapshot.</summary>
    ValueTask CompactAsync(ulong compactIndex, CancellationToken cancellationToken = default);
}
