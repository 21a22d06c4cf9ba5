namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>The partitions touched by one group commit.</summary>
internal sealed class WalBatch(ChunkStore store, int maxChunkBytes)
{
    private readonly Dictionary<PartitionSlot, PartitionBatch> _partitions = [];

    public IEnumerable<PartitionBatch> Partitions => _partitions.Values;

    public PartitionBatch For(PartitionSlot slot)
    {
        if (!_partitions.TryGetValue(slot, out var batch))
        {
            batch = new PartitionBatch(slot, store, maxChunkBytes);
            _partitions.Add(slot, batch);
        }
        return batch;
    }

    /// <summary>Writes every partition's buffered entries and metadata into the open transaction.</summary>
    public (int Chunks, long Bytes) Flush()
    {
        int chunks = 0;
        long bytes = 0;
        foreach (var p in _partitions.Values)
        {
            var (c, b) = p.Flush();
            chunks += c;
            bytes += b;
        }
        return (chunks, bytes);
    }
}

/// <summary>
/// One partition's share of a group commit. New entries are buffered and written at the end as one chunk (or a few, up
/// to the chunk size), so many small appends to a partition in one batch cost one document. Truncations and deletions
/// reach LiteDB at once, in the same transaction.
/// </summary>
internal sealed class PartitionBatch(PartitionSlot slot, ChunkStore store, int maxChunkBytes)
{
    private readonly List<Entry> _buffer = [];

    public bool MetaDirty { get; set; }

    public bool Deleted { get; set; }

    /// <summary>The last index held by chunks already in LiteDB (this transaction included).</summary>
    public ulong PersistedLast => _buffer.Count > 0 ? _buffer[0].Index - 1 : slot.Writer.LastIndex;

    public void Buffer(ReadOnlySpan<Entry> entries)
    {
        foreach (ref readonly var e in entries) _buffer.Add(e);
        Deleted = false;
    }

    /// <summary>Removes stored entries from <paramref name="index"/> on.</summary>
    public void TruncateFrom(ulong index)
    {
        if (_buffer.Count > 0 && index >= _buffer[0].Index)
        {
            var keep = (int)(index - _buffer[0].Index);
            if (keep < _buffer.Count) _buffer.RemoveRange(keep, _buffer.Count - keep);
            return;
        }
        _buffer.Clear();
        store.DeleteChunks(slot.Id, index, ulong.MaxValue);
        if (index <= 1) return;
        var key = store.FindChunkKeyAtOrBelow(slot.Id, index - 1);
        if (key is null) return;
        ChunkKey.TryParse(key, out _, out var first);
        var payload = store.GetChunk(key) ?? [];
        var reader = new ChunkReader(payload, slot.Id, first);
        while (reader.NextIndex < index && reader.TryRead(out _)) { }
        if (reader.NextIndex < index && reader.Error is not null)
        {
            throw new WalCorruptionException($"partition {slot.Id}: cannot truncate at {index}: chunk at {first} is damaged ({reader.Error})");
        }
        if (reader.Offset < payload.Length) store.ShortenChunk(slot.Id, first, reader.Offset);
    }

    /// <summary>Deletes the chunks that hold only entries at or below <paramref name="index"/>.</summary>
    public void DeleteThrough(ulong index, ulong persistedLast)
    {
        if (index >= persistedLast)
        {
            store.DeleteChunks(slot.Id, 0, ulong.MaxValue);
            return;
        }
        var key = store.FindChunkKeyAtOrBelow(slot.Id, index + 1);
        if (key is null) return;
        ChunkKey.TryParse(key, out _, out var first);
        if (first > 0) store.DeleteChunks(slot.Id, 0, first - 1);
    }

    public void DeleteAll()
    {
        _buffer.Clear();
        store.DeleteChunks(slot.Id, 0, ulong.MaxValue);
        MetaDirty = false;
    }

    public (int Chunks, long Bytes) Flush()
    {
        int chunks = 0;
        long bytes = 0;
        var first = slot.Writer.DummyIndex + 1;
        var start = 0;
        while (start < _buffer.Count && _buffer[start].Index < first) start++;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_buffer)[start..];
        while (!span.IsEmpty)
        {
            var take = 0;
            long size = ChunkCodec.HeaderSize;
            do
            {
                size += ChunkCodec.RecordSize(span[take]);
                take++;
            }
            while (take < span.Length && size + ChunkCodec.RecordSize(span[take]) <= maxChunkBytes);
            bytes += store.InsertChunk(slot.Id, span[..take]);
            chunks++;
            span = span[take..];
        }
        if (Deleted && !MetaDirty)
        {
            store.DeleteMeta(slot.Id);
            slot.Stored = false;
        }
        else if (MetaDirty || chunks > 0)
        {
            var meta = MetaCodec.Encode(slot.Writer);
            store.UpsertMeta(slot.Id, meta);
            bytes += meta.Length;
            slot.Stored = true;
        }
        return (chunks, bytes);
    }
}
