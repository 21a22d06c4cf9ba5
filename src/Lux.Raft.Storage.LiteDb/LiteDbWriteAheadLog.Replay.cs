using Lux.Raft.Storage.LiteDb.Internal;

namespace Lux.Raft.Storage.LiteDb;

public sealed partial class LiteDbWriteAheadLog
{
    /// <summary>Records replayed per LiteDB transaction: a crash's worth of one-entry commits replays in few transactions.</summary>
    private const int ReplayRecordsPerTransaction = 1024;

    /// <summary>
    /// Brings LiteDB up to the segments: redoes, in order, every record after the position LiteDB says it has applied.
    /// The first record that is not whole and valid (a torn write, zeros, garbage, a wrong sequence number) ends the
    /// log: the segment is cut back to there, durably, with a log line, and any later segment removed.
    /// </summary>
    private (long Records, long Bytes) ReplaySegments()
    {
        var ids = _segments.Ids;
        var applied = _store.GetApplied();
        var (position, sequence) = applied ?? (new SegmentPosition(ids.Count > 0 ? ids[0] : 1, 0), 1UL);
        if (applied is not null)
        {
            var length = _segments.LengthOf(position.Segment);
            if (length < position.Offset)
            {
                throw new WalCorruptionException(length < 0
                    ? $"WAL segment {_segments.PathOf(position.Segment)} is missing but the database has applied records in it"
                    : $"WAL segment {_segments.PathOf(position.Segment)} has {length} bytes but the database has applied records up to {position.Offset}");
            }
        }
        var segment = position.Segment;
        var offset = position.Offset;
        long records = 0, bytes = 0;
        string? damage = null;
        var pending = 0;
        try
        {
            while (_segments.File(segment) is { } file)
            {
                var record = SegmentRecordReader.TryRead(file, offset, file.Length, sequence, out var error);
                if (record is null)
                {
                    if (error is not null)
                    {
                        damage = error;
                        break;
                    }
                    if (_segments.File(segment + 1) is null) break;
                    segment++;
                    offset = 0;
                    continue;
                }
                if (pending == 0) _db.BeginTrans();
                Redo(record, segment, offset);
                offset += record.Length;
                sequence++;
                records++;
                bytes += record.Length;
                if (++pending == ReplayRecordsPerTransaction)
                {
                    CommitReplay(new SegmentPosition(segment, offset), sequence);
                    pending = 0;
                }
            }
            if (pending > 0) CommitReplay(new SegmentPosition(segment, offset), sequence);
        }
        catch
        {
            if (pending > 0) _db.Rollback();
            throw;
        }
        if (damage is not null)
        {
            _metrics.Corruptions.Add(1);
            WalLog.SegmentTailCutBack(_logger, _segments.PathOf(segment), offset, damage, _segments.LengthOf(segment));
            _segments.CutBack(segment, offset);
        }
        var later = _segments.Ids.Where(id => id > segment).ToList();
        foreach (var id in later)
        {
            // Every commit syncs its segment before the writer moves to a new one, so a later segment after a damaged
            // record means the damage is not a torn tail: what follows it cannot be replayed in order.
            var length = _segments.LengthOf(id);
            if (length > 0)
            {
                _metrics.Corruptions.Add(1);
                WalLog.SegmentLostAfterDamage(_logger, _segments.PathOf(id), length);
            }
        }
        _segments.Remove(later);
        // A record written but not synced before a crash was just replayed: make it durable before LiteDB can hold
        // anything built on it.
        if (records > 0 && damage is null) _segments.SyncOutsideCommit(segment);
        _segments.StartAppending(new SegmentPosition(segment, offset));
        _sequence = sequence;
        return (records, bytes);
    }

    private void Redo(byte[] record, ulong segment, long offset)
    {
        List<SegmentRecordOp> ops;
        try
        {
            ops = SegmentRecordReader.Operations(record);
        }
        catch (FormatException ex)
        {
            throw new WalCorruptionException($"WAL segment {_segments.PathOf(segment)}: the record at {offset} passed its checksum but cannot be read: {ex.Message}", ex);
        }
        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case SegmentOp.InsertChunk:
                    _store.IndexChunk(op.Partition, op.A, segment, offset + op.DataOffset, op.DataLength);
                    break;
                case SegmentOp.DeleteChunks:
                    _store.DeleteChunks(op.Partition, op.A, op.B);
                    break;
                case SegmentOp.ShortenChunk:
                    _store.ShortenChunk(op.Partition, op.A, (int)op.B);
                    break;
                case SegmentOp.UpsertMeta:
                    _store.UpsertMeta(op.Partition, record.AsSpan(op.DataOffset, op.DataLength).ToArray());
                    break;
                case SegmentOp.DeleteMeta:
                    _store.DeleteMeta(op.Partition);
                    break;
            }
        }
    }

    private void CommitReplay(SegmentPosition end, ulong nextSequence)
    {
        _store.SetApplied(end, nextSequence);
        CommitLiteDb();
    }
}
