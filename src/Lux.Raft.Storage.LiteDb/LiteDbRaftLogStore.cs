using Lux.Raft.Storage.LiteDb.Internal;

namespace Lux.Raft.Storage.LiteDb;

/// <summary>
/// One partition's log in a <see cref="LiteDbWriteAheadLog"/>. Reads of terms, bounds and recent entries are served
/// from memory; older entries are found by an index range over this partition's chunks in LiteDB and read from the
/// segment files. Writes go through
/// the WAL's group commit and complete once synced. Reads see only what is durable.
/// </summary>
public sealed class LiteDbRaftLogStore : IRaftLogStore
{
    private readonly LiteDbWriteAheadLog _wal;
    private readonly PartitionSlot _slot;

    internal LiteDbRaftLogStore(LiteDbWriteAheadLog wal, PartitionSlot slot)
    {
        _wal = wal;
        _slot = slot;
    }

    /// <summary>The partition this log belongs to.</summary>
    public ulong PartitionId => _slot.Id;

    /// <inheritdoc />
    public RaftInitialState InitialState()
    {
        lock (_slot.Gate) return new(_slot.Durable.HardState, _slot.Durable.ConfState);
    }

    /// <summary>The durable hard state.</summary>
    public HardState HardState
    {
        get { lock (_slot.Gate) return _slot.Durable.HardState; }
    }

    /// <inheritdoc />
    public ulong FirstIndex
    {
        get { lock (_slot.Gate) return _slot.Durable.FirstIndex; }
    }

    /// <inheritdoc />
    public ulong LastIndex
    {
        get { lock (_slot.Gate) return _slot.Durable.LastIndex; }
    }

    /// <inheritdoc />
    public SnapshotMetadata Snapshot
    {
        get { lock (_slot.Gate) return _slot.Durable.Snapshot; }
    }

    /// <inheritdoc />
    public StorageStatus TryGetTerm(ulong index, out ulong term)
    {
        lock (_slot.Gate) return _slot.Durable.TryGetTerm(index, out term);
    }

    /// <inheritdoc />
    /// <exception cref="WalCorruptionException">A stored entry in the range failed its checks.</exception>
    public StorageStatus GetEntries(ulong low, ulong high, long maxBytes, List<Entry> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        for (var attempt = 0; ; attempt++)
        {
            long structural;
            lock (_slot.Gate)
            {
                WaitForPublishedStructure();
                var state = _slot.Durable;
                if (low <= state.DummyIndex) return StorageStatus.Compacted;
                if (high > state.LastIndex + 1) return StorageStatus.Unavailable;
                if (low >= high) return StorageStatus.Ok;
                if (_slot.Cache.TryGet(low, high, maxBytes, into)) return StorageStatus.Ok;
                structural = _slot.PublishedStructural;
            }
            var start = into.Count;
            try
            {
                ReadFromChunks(low, high, maxBytes, into);
            }
            catch (LiteDB.LiteException ex)
            {
                into.RemoveRange(start, into.Count - start);
                throw Corrupt(low, $"the database file is damaged: {ex.Message}");
            }
            lock (_slot.Gate)
            {
                if (Volatile.Read(ref _slot.StagedStructural) == structural && _slot.PublishedStructural == structural) return StorageStatus.Ok;
            }
            // A truncation or compaction raced the read: read again against the new durable state.
            into.RemoveRange(start, into.Count - start);
        }
    }

    /// <summary>
    /// Durably records <paramref name="hardState"/> and <paramref name="entries"/> (truncating a conflicting suffix),
    /// sharing a group commit with whatever else is pending. Completes after the commit is synced.
    /// </summary>
    /// <exception cref="ArgumentException">Entries are not consecutive or one is larger than <see cref="LiteDbWalOptions.MaxEntryBytes"/>.</exception>
    /// <exception cref="InvalidOperationException">The entries would leave a gap after the last index.</exception>
    public ValueTask SaveAsync(HardState? hardState, ReadOnlyMemory<Entry> entries, CancellationToken cancellationToken = default)
    {
        var span = entries.Span;
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i].Index == 0) throw new ArgumentException("entry index 0 is reserved for the log's start", nameof(entries));
            if (i > 0 && span[i].Index != span[i - 1].Index + 1)
            {
                throw new ArgumentException($"entries must be consecutive: {span[i - 1].Index} is followed by {span[i].Index}", nameof(entries));
            }
            if (span[i].Data.Length > _wal.Options.MaxEntryBytes)
            {
                throw new ArgumentException($"entry {span[i].Index} has {span[i].Data.Length} bytes, above the limit of {_wal.Options.MaxEntryBytes}", nameof(entries));
            }
            if (span[i].Type > EntryType.ConfChange) throw new ArgumentException($"entry {span[i].Index} has unknown type {span[i].Type}", nameof(entries));
        }
        if (span.IsEmpty && hardState is null) return ValueTask.CompletedTask;
        return _wal.Enqueue(new SaveRequest(_slot, hardState, entries), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask ApplySnapshotAsync(SnapshotMetadata snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return _wal.Enqueue(new SnapshotRequest(_slot, snapshot), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask RecordSnapshotAsync(SnapshotMetadata snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return _wal.Enqueue(new RecordSnapshotRequest(_slot, snapshot), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask CompactAsync(ulong compactIndex, CancellationToken cancellationToken = default) =>
        _wal.Enqueue(new CompactRequest(_slot, compactIndex), cancellationToken);

    /// <summary>Durably records the membership <see cref="InitialState"/> reports (until a later snapshot replaces it).</summary>
    public ValueTask SaveConfStateAsync(ConfState confState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(confState);
        return _wal.Enqueue(new ConfStateRequest(_slot, confState), cancellationToken);
    }

    private void WaitForPublishedStructure()
    {
        // A truncation or compaction of this partition is being committed: LiteDB may already show it while the
        // durable view does not. Wait for its publication (one sync) rather than read a mix of both.
        while (Volatile.Read(ref _slot.StagedStructural) != _slot.PublishedStructural)
        {
            _wal.ThrowIfFailed();
            Monitor.Wait(_slot.Gate, TimeSpan.FromMilliseconds(50));
        }
    }

    private void ReadFromChunks(ulong low, ulong high, long maxBytes, List<Entry> into)
    {
        var store = _wal.Store;
        var startKey = store.FindChunkKeyAtOrBelow(_slot.Id, low);
        var next = low;
        long size = 0;
        if (startKey is not null)
        {
            ChunkKey.TryParse(startKey, out _, out var startFirst);
            foreach (var (first, _, payload) in store.ReadChunks(_slot.Id, startFirst, high - 1))
            {
                if (first > next) break;
                var reader = new ChunkReader(payload, _slot.Id, first);
                while (next < high && reader.TryRead(out var entry))
                {
                    if (entry.Index < next) continue;
                    size += entry.Size;
                    if (entry.Index > low && size > maxBytes) return;
                    into.Add(entry);
                    next++;
                }
                if (next >= high) return;
                if (reader.Error is not null)
                {
                    // A compaction published meanwhile may have let a checkpoint remove the segment this chunk was in:
                    // the caller reads again against the new state.
                    if (!VersionUnchanged()) return;
                    throw Corrupt(next, reader.Error);
                }
            }
        }
        if (next < high && VersionUnchanged()) throw Corrupt(next, "entry missing from the stored chunks");
    }

    private bool VersionUnchanged()
    {
        lock (_slot.Gate) return Volatile.Read(ref _slot.StagedStructural) == _slot.PublishedStructural;
    }

    private WalCorruptionException Corrupt(ulong index, string reason)
    {
        _wal.Metrics.Corruptions.Add(1);
        WalLog.ReadCorruption(_wal.Logger, _slot.Id, index, reason);
        return new WalCorruptionException($"partition {_slot.Id}: stored entry {index} is damaged: {reason}");
    }
}
