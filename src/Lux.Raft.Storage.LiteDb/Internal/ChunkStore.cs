using LiteDB;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// The LiteDB side of the WAL: the "chunks" collection (where each run of a partition's entries lies in the segment
/// files, keyed by <see cref="ChunkKey"/>), the "partitions" collection (one metadata document per partition) and the
/// "wal" collection (how far into the segments this database has applied). Every chunk query is an _id range inside
/// one partition's key range, so a partition's reads and deletes never visit another partition's documents.
/// During a group commit every change is also recorded in <see cref="Redo"/>, the segment record that makes it durable.
/// <para>
/// Only chunks are needed in LiteDB between checkpoints (readers look older entries up there). The metadata documents
/// and the applied position are read only when the WAL opens, and LiteDB's state after the last checkpoint is never
/// what an open starts from (its unsynced log is dropped, or replayed only up to a checkpoint's synced length), so a
/// group commit records them in its segment record at once but writes them into LiteDB only when
/// <see cref="WriteDeferred"/> runs right before a checkpoint: two document writes fewer per commit.
/// </para>
/// </summary>
internal sealed class ChunkStore(LiteDatabase db, SegmentLog segments)
{
    private const string ChunkCollection = "chunks";
    private const string MetaCollection = "partitions";
    private const string WalCollection = "wal";
    private const string Segment = "s";
    private const string Offset = "o";
    private const string Length = "n";
    private const string Meta = "m";
    private const string Sequence = "q";

    private readonly ILiteCollection<BsonDocument> _chunks = db.GetCollection(ChunkCollection, BsonAutoId.Int64);
    private readonly ILiteCollection<BsonDocument> _meta = db.GetCollection(MetaCollection, BsonAutoId.Int64);
    private readonly ILiteCollection<BsonDocument> _wal = db.GetCollection(WalCollection, BsonAutoId.Int64);

    /// <summary>Metadata of this group commit (null: deleted), kept only once its record is durable.</summary>
    private readonly Dictionary<ulong, byte[]?> _stagedMeta = [];

    /// <summary>Metadata made durable by group commits since the last <see cref="WriteDeferred"/>; newest per partition.</summary>
    private readonly Dictionary<ulong, byte[]?> _deferredMeta = [];

    private (SegmentPosition End, ulong NextSequence)? _deferredApplied;

    /// <summary>The record of the group commit being staged; null while recovery replays records.</summary>
    public SegmentRecordWriter? Redo { get; set; }

    /// <summary>
    /// Counts the changes made to LiteDB's documents. A transaction that changed none writes no page, not even the
    /// commit page a checkpoint counts on, so the writer commits only transactions that moved this.
    /// </summary>
    public long Writes { get; private set; }

    /// <summary>True while metadata or an applied position is durable in the segments but not yet in LiteDB.</summary>
    public bool HasDeferred => _deferredMeta.Count > 0 || _deferredApplied is not null;

    /// <summary>The group commit's record is durable: what it deferred now waits for <see cref="WriteDeferred"/>.</summary>
    public void KeepStaged(SegmentPosition end, ulong nextSequence)
    {
        foreach (var (partition, meta) in _stagedMeta) _deferredMeta[partition] = meta;
        _stagedMeta.Clear();
        _deferredApplied = (end, nextSequence);
    }

    /// <summary>The group commit was rolled back: nothing it staged happened.</summary>
    public void DropStaged() => _stagedMeta.Clear();

    /// <summary>Writes the deferred metadata and applied position into the open transaction, bringing LiteDB to the segments' end.</summary>
    public void WriteDeferred()
    {
        foreach (var (partition, meta) in _deferredMeta)
        {
            if (meta is null) RemoveMeta(partition);
            else WriteMeta(partition, meta);
        }
        _deferredMeta.Clear();
        if (_deferredApplied is { } applied) SetApplied(applied.End, applied.NextSequence);
        _deferredApplied = null;
    }

    /// <summary>Encodes <paramref name="entries"/> into the group commit's record and indexes them as one chunk.</summary>
    public int InsertChunk(ulong partition, ReadOnlySpan<Entry> entries)
    {
        var redo = Redo ?? throw new InvalidOperationException("chunks are written only inside a group commit");
        var size = ChunkCodec.Size(entries);
        var span = redo.InsertChunk(partition, entries[0].Index, size, out var offset);
        ChunkCodec.Encode(partition, entries, span);
        IndexChunk(partition, entries[0].Index, redo.Start.Segment, offset, size);
        return size;
    }

    /// <summary>Indexes a chunk whose payload is already in a segment (recovery).</summary>
    /// <remarks>
    /// Replay upserts: after a checkpoint cut short, LiteDB's kept log may hold chunks of commits past the applied
    /// position it records (metadata and that position are written only at checkpoints), and every redone operation
    /// sets a key to the value the last record touching it gives, so redoing them again ends in the same state.
    /// </remarks>
    public void IndexChunk(ulong partition, ulong firstIndex, ulong segment, long offset, int length)
    {
        var doc = new BsonDocument
        {
            ["_id"] = new BsonValue(ChunkKey.Create(partition, firstIndex)),
            [Segment] = new BsonValue(unchecked((long)segment)),
            [Offset] = new BsonValue(offset),
            [Length] = new BsonValue(length),
        };
        if (Redo is null) _chunks.Upsert(doc);
        else _chunks.Insert(doc);
        Writes++;
    }

    /// <summary>Cuts a chunk to the first <paramref name="length"/> bytes of its payload.</summary>
    public void ShortenChunk(ulong partition, ulong firstIndex, int length)
    {
        Redo?.ShortenChunk(partition, firstIndex, length);
        var doc = _chunks.FindById(new BsonValue(ChunkKey.Create(partition, firstIndex)));
        if (doc is null) return;
        doc[Length] = new BsonValue(length);
        if (_chunks.Update(doc)) Writes++;
    }

    public byte[]? GetChunk(byte[] key) => _chunks.FindById(new BsonValue(key)) is { } doc ? Decode(doc).Payload : null;

    /// <summary>Deletes the chunks whose first index lies in [<paramref name="fromIndex"/>, <paramref name="toIndex"/>].</summary>
    public int DeleteChunks(ulong partition, ulong fromIndex, ulong toIndex)
    {
        if (fromIndex > toIndex) return 0;
        Redo?.DeleteChunks(partition, fromIndex, toIndex);
        var deleted = _chunks.DeleteMany(Range(partition, fromIndex, toIndex));
        if (deleted > 0) Writes++;
        return deleted;
    }

    /// <summary>
    /// The oldest segment any chunk lies in. A partition's chunks lie in segments in the order of their indexes, so only
    /// each partition's first chunk is read: one index seek per partition, skipping from partition to partition.
    /// </summary>
    public ulong? OldestSegment()
    {
        ulong? oldest = null;
        var partition = 0UL;
        while (true)
        {
            var doc = _chunks.Query().Where(AtOrAbove(ChunkKey.Create(partition, 0))).OrderBy("_id").Limit(1).FirstOrDefault();
            if (doc is null || !ChunkKey.TryParse(doc["_id"].AsBinary, out var found, out _)) return oldest;
            var segment = unchecked((ulong)doc[Segment].AsInt64);
            if (oldest is null || segment < oldest) oldest = segment;
            if (found == ulong.MaxValue) return oldest;
            partition = found + 1;
        }
    }

    /// <summary>Records, in the same transaction, that the database reflects every segment record before <paramref name="end"/>.</summary>
    public void SetApplied(SegmentPosition end, ulong nextSequence)
    {
        _wal.Upsert(new BsonDocument
        {
            ["_id"] = new BsonValue(1L),
            [Segment] = new BsonValue(unchecked((long)end.Segment)),
            [Offset] = new BsonValue(end.Offset),
            [Sequence] = new BsonValue(unchecked((long)nextSequence)),
        });
        Writes++;
    }

    /// <summary>Where replay starts and the sequence number of the record found there; null for a new database.</summary>
    public (SegmentPosition End, ulong NextSequence)? GetApplied()
    {
        var doc = _wal.FindById(new BsonValue(1L));
        if (doc is null) return null;
        return (new SegmentPosition(unchecked((ulong)doc[Segment].AsInt64), doc[Offset].AsInt64), unchecked((ulong)doc[Sequence].AsInt64));
    }

    /// <summary>The key of the chunk with the greatest first index at or below <paramref name="index"/>: the one holding it, if any does.</summary>
    public byte[]? FindChunkKeyAtOrBelow(ulong partition, ulong index)
    {
        var doc = _chunks.Query().Where(Range(partition, 0, index)).OrderByDescending("_id").Select("{ k: $._id }").Limit(1).FirstOrDefault();
        return doc?["k"].AsBinary;
    }

    /// <summary>Chunks whose first index lies in [<paramref name="fromIndex"/>, <paramref name="toIndex"/>], ascending.</summary>
    public IEnumerable<(ulong FirstIndex, byte[] Key, byte[] Payload)> ReadChunks(ulong partition, ulong fromIndex, ulong toIndex)
    {
        foreach (var doc in _chunks.Query().Where(Range(partition, fromIndex, toIndex)).ToEnumerable())
        {
            yield return Decode(doc);
        }
    }

    /// <summary>A partition's chunks from the newest down.</summary>
    public IEnumerable<(ulong FirstIndex, byte[] Key, byte[] Payload)> ReadChunksDescending(ulong partition)
    {
        foreach (var doc in _chunks.Query().Where(Range(partition, 0, ulong.MaxValue)).OrderByDescending("_id").ToEnumerable())
        {
            yield return Decode(doc);
        }
    }

    /// <summary>LiteDB's plan for a partition's range read (tests check it is an index range, not a scan).</summary>
    public BsonDocument ExplainRead(ulong partition, ulong fromIndex, ulong toIndex) =>
        _chunks.Query().Where(Range(partition, fromIndex, toIndex)).GetPlan();

    /// <summary>Inside a group commit: recorded in its record, written into LiteDB at the next checkpoint. In replay: written now.</summary>
    public void UpsertMeta(ulong partition, byte[] meta)
    {
        if (Redo is { } redo)
        {
            redo.UpsertMeta(partition, meta);
            _stagedMeta[partition] = meta;
            return;
        }
        WriteMeta(partition, meta);
    }

    /// <summary>Like <see cref="UpsertMeta"/>: deferred inside a group commit, immediate in replay.</summary>
    public void DeleteMeta(ulong partition)
    {
        if (Redo is { } redo)
        {
            redo.DeleteMeta(partition);
            _stagedMeta[partition] = null;
            return;
        }
        RemoveMeta(partition);
    }

    private void WriteMeta(ulong partition, byte[] meta)
    {
        _meta.Upsert(new BsonDocument { ["_id"] = new BsonValue(unchecked((long)partition)), [Meta] = new BsonValue(meta) });
        Writes++;
    }

    private void RemoveMeta(ulong partition)
    {
        if (_meta.Delete(new BsonValue(unchecked((long)partition)))) Writes++;
    }

    public IEnumerable<(ulong Partition, byte[] Meta)> ReadAllMeta()
    {
        foreach (var doc in _meta.FindAll())
        {
            yield return (unchecked((ulong)doc["_id"].AsInt64), doc[Meta].IsBinary ? doc[Meta].AsBinary : []);
        }
    }

    public int CountChunks(ulong partition) => _chunks.Count(Range(partition, 0, ulong.MaxValue));

    /// <summary>
    /// The keys of a partition's chunks in [<paramref name="fromIndex"/>, <paramref name="toIndex"/>]. The bounds are
    /// parameters, never text: LiteDB's <c>Query.Between</c>/<c>Query.GTE</c> write the values into the expression's
    /// source, and LiteDB parses, compiles (a new dynamic method, JIT-compiled) and caches for good every source it has
    /// not seen, about 2 ms of CPU and 4.5 KB kept per distinct range. A parameterised source is parsed once.
    /// </summary>
    internal static BsonExpression Range(ulong partition, ulong fromIndex, ulong toIndex) =>
        BsonExpression.Create(RangeSource, new BsonValue(ChunkKey.Create(partition, fromIndex)), new BsonValue(ChunkKey.Create(partition, toIndex)));

    internal static BsonExpression AtOrAbove(byte[] key) => BsonExpression.Create(AtOrAboveSource, new BsonValue(key));

    private const string RangeSource = "$._id BETWEEN @0 AND @1";
    private const string AtOrAboveSource = "$._id >= @0";

    /// <summary>A chunk document and its payload, read from its segment (empty when the segment does not hold it).</summary>
    private (ulong FirstIndex, byte[] Key, byte[] Payload) Decode(BsonDocument doc)
    {
        var key = doc["_id"].AsBinary;
        ChunkKey.TryParse(key, out _, out var first);
        var segment = doc[Segment];
        var offset = doc[Offset];
        var length = doc[Length];
        if (!segment.IsInt64 || !offset.IsInt64 || !length.IsInt32) return (first, key, []);
        return (first, key, segments.Read(unchecked((ulong)segment.AsInt64), offset.AsInt64, length.AsInt32));
    }
}
