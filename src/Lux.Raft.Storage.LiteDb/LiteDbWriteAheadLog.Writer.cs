using System.Diagnostics;
using Lux.Raft.Storage.LiteDb.Internal;

namespace Lux.Raft.Storage.LiteDb;

public sealed partial class LiteDbWriteAheadLog
{
    private readonly object _queueGate = new();
    private readonly Thread _writerThread;
    private readonly TaskCompletionSource _writerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<WalWork> _queue = [];
    private List<WalWork> _taking = [];
    private bool _writerIdle;
    private bool _stopping;
    private Exception? _failure;
    private readonly SegmentRecordWriter _redo = new();
    private long _commits;
    private long _checkpoints;
    private long _markerSyncs;
    private long _confirmedTarget;
    private long _segmentBytesSinceCheckpoint;
    private ulong _sequence;
    private int _disposed;

    internal ValueTask Enqueue(WalWork work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_queueGate)
        {
            ThrowIfUnusable();
            _queue.Add(work);
            if (_writerIdle) Monitor.Pulse(_queueGate);
        }
        // Cancelling abandons the wait, not the write: once queued, the write may still become durable.
        return cancellationToken.CanBeCanceled ? new ValueTask(work.Completion.WaitAsync(cancellationToken)) : new ValueTask(work.Completion);
    }

    /// <summary>Tests turn this off to leave LiteDB's log in place at close, as a crash would.</summary>
    internal bool CheckpointOnDispose { get; set; } = true;

    internal void ThrowIfFailed()
    {
        if (_failure is { } failure) throw new WriteAheadLogFailedException("the write-ahead log failed earlier; restart to recover", failure);
    }

    private void ThrowIfUnusable()
    {
        if (_failure is { } failure) throw new WriteAheadLogFailedException("the write-ahead log failed earlier and accepts no more writes; restart to recover", failure);
        ObjectDisposedException.ThrowIf(_stopping, this);
    }

    private void WriterLoop()
    {
        var batch = new List<WalWork>();
        try
        {
            while (TakeBatch(batch))
            {
                if (_failure is not null)
                {
                    FailAll(batch, _failure);
                }
                else
                {
                    try
                    {
                        ProcessBatch(batch);
                    }
                    catch (Exception ex)
                    {
                        _failure = ex;
                        WalLog.WriterFailed(_logger, ex);
                        try { _db.Rollback(); } catch (Exception) { /* the engine may be unusable; the failure is already recorded */ }
                        FailAll(batch, ex);
                    }
                }
                batch.Clear();
            }
            if (_failure is null && CheckpointOnDispose) CloseCleanly();
        }
        finally
        {
            _writerExited.TrySetResult();
        }
    }

    private void FailAll(List<WalWork> batch, Exception cause)
    {
        var error = new WriteAheadLogFailedException("the write-ahead log failed; this write may or may not have reached the disk", cause);
        foreach (var work in batch) work.Fail(error);
    }

    /// <summary>Waits for work, then takes what is queued up to the batch byte limit (always at least one request).</summary>
    private bool TakeBatch(List<WalWork> batch)
    {
        lock (_queueGate)
        {
            while (_queue.Count == 0)
            {
                if (_stopping) return false;
                _writerIdle = true;
                Monitor.Wait(_queueGate);
                _writerIdle = false;
            }
            (_queue, _taking) = (_taking, _queue);
        }
        long bytes = 0;
        var taken = 0;
        foreach (var work in _taking)
        {
            var size = work is WalRequest r ? r.Bytes : 0;
            if (taken > 0 && bytes + size > _options.MaxBatchBytes) break;
            bytes += size;
            batch.Add(work);
            taken++;
        }
        if (taken < _taking.Count)
        {
            lock (_queueGate) _queue.InsertRange(0, _taking.Skip(taken));
        }
        _taking.Clear();
        return true;
    }

    /// <summary>
    /// One group commit: stage every request in a LiteDB transaction while recording the same changes, entry bytes
    /// included, as one segment record; append the record and sync the segment (the commit's only sync); then commit
    /// LiteDB, which is not synced here: after a crash the segments replay whatever of it was lost. LiteDB commits only
    /// after the sync, so its state is never ahead of the durable segments. The transaction holds the chunks; metadata
    /// and the applied position wait for the next checkpoint (see <see cref="ChunkStore"/>).
    /// </summary>
    private void ProcessBatch(List<WalWork> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var walBatch = new WalBatch(_store, _options.MaxChunkBytes);
        var staged = new List<WalRequest>(batch.Count);
        var checkpoint = false;
        _redo.Begin(_segments.End, _sequence);
        _store.Redo = _redo;
        var writesBefore = _store.Writes;
        _db.BeginTrans();
        var open = true;
        try
        {
            foreach (var work in batch)
            {
                if (work is CheckpointRequest)
                {
                    checkpoint = true;
                    continue;
                }
                var request = (WalRequest)work;
                try
                {
                    request.Stage(walBatch, walBatch.For(request.Slot));
                    staged.Add(request);
                }
                catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
                {
                    // Rejected before it changed anything: the caller's mistake, not the log's.
                    request.Fail(ex);
                }
            }
            walBatch.Flush();
            if (staged.Exists(r => r.Changed))
            {
                var record = _redo.Finish();
                _segments.Append(record);
                _segments.SyncCommit();
                _store.KeepStaged(new SegmentPosition(_redo.Start.Segment, _redo.Start.Offset + record.Length), _sequence + 1);
                _sequence++;
                _segmentBytesSinceCheckpoint += record.Length;
                open = false;
                var pagesBefore = _logFile.Writes;
                CommitLiteDbIfChanged(writesBefore);
                Interlocked.Increment(ref _commits);
                _metrics.Commits.Add(1);
                _metrics.PagesWritten.Add(_logFile.Writes - pagesBefore);
                _metrics.LiteDbFlushesCoalesced.Add(Math.Max(0, _logFile.LiteDbFlushes - _lastLiteDbFlushes));
                _lastLiteDbFlushes = _logFile.LiteDbFlushes;
            }
            else
            {
                open = false;
                _db.Rollback();
            }
            Publish(staged, started);
        }
        finally
        {
            _store.Redo = null;
            _store.DropStaged();
            if (open) _db.Rollback();
        }
        // Both cost syncs of their own: done after the callers were answered, never inside a commit.
        if (_segments.End.Offset >= _options.SegmentBytes) _segments.Roll();
        if (checkpoint || _logFile.Length >= _options.CheckpointBytes || _segmentBytesSinceCheckpoint >= _options.CheckpointBytes) Checkpoint();
        foreach (var work in batch)
        {
            if (work is CheckpointRequest) work.Complete();
        }
    }

    /// <summary>Commits LiteDB's transaction; its commit page is counted so a checkpoint knows when all of them are written.</summary>
    private void CommitLiteDb()
    {
        _db.Commit();
        _confirmedTarget++;
    }

    /// <summary>
    /// Commits the open transaction if it changed a document since <paramref name="writesBefore"/>, else rolls it back:
    /// an unchanged transaction writes no commit page, so counting it would leave a checkpoint waiting for one.
    /// </summary>
    private void CommitLiteDbIfChanged(long writesBefore)
    {
        if (_store.Writes != writesBefore) CommitLiteDb();
        else _db.Rollback();
    }

    private long _lastLiteDbFlushes;

    private void Publish(List<WalRequest> staged, long started)
    {
        long entries = 0, bytes = 0;
        foreach (var request in staged)
        {
            var slot = request.Slot;
            lock (slot.Gate)
            {
                request.Publish(slot.Durable, slot.Cache);
                if (request.Structural)
                {
                    slot.PublishedStructural++;
                    Monitor.PulseAll(slot.Gate);
                }
            }
            var (e, b) = request.Appended;
            entries += e;
            bytes += b;
            request.Complete();
        }
        if (staged.Count > 0)
        {
            _metrics.BatchRequests.Record(staged.Count);
            _metrics.BatchEntries.Record(entries);
            _metrics.BatchBytes.Record(bytes);
            _metrics.EntriesAppended.Add(entries);
            _metrics.BytesAppended.Add(bytes);
            _metrics.CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Makes LiteDB's state durable in its data file, between two group commits. LiteDB's log is synced first and its
    /// length put in the marker, because the copy overwrites data pages in place and only a durable log can finish a
    /// copy cut short. Afterwards replay would start at the current end of the segments, so older segments that hold no
    /// live chunk are removed.
    /// </summary>
    private void Checkpoint()
    {
        var started = Stopwatch.GetTimestamp();
        if (_store.HasDeferred)
        {
            // Metadata and the applied position reach LiteDB only here (see ChunkStore): the data file this checkpoint
            // makes durable must reflect exactly the segments up to their current end.
            var writesBefore = _store.Writes;
            _db.BeginTrans();
            _store.WriteDeferred();
            CommitLiteDbIfChanged(writesBefore);
        }
        if (!_logFile.WaitForConfirmedPages(_confirmedTarget, _options.CommitWriteTimeout))
        {
            throw new IOException($"LiteDB did not write its committed pages within {_options.CommitWriteTimeout}");
        }
        var length = _logFile.Length;
        _logFile.Sync();
        if (_marker.Write(length)) Interlocked.Increment(ref _markerSyncs);
        _db.Checkpoint();
        if (_marker.Write(0)) Interlocked.Increment(ref _markerSyncs);
        _segmentBytesSinceCheckpoint = 0;
        Interlocked.Increment(ref _checkpoints);
        _metrics.Checkpoints.Add(1);
        RemoveUnneededSegments();
        WalLog.Checkpointed(_logger, length, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// A segment is needed while a chunk lies in it or a replay could start in it. A partition's chunks lie in segments
    /// in the order of their indexes (new chunks go to the newest segment; truncation only removes or shortens), so its
    /// oldest chunk names the oldest segment it needs: compaction frees segments from the oldest on.
    /// </summary>
    private void RemoveUnneededSegments()
    {
        // Replay starts where the data file's applied position points: after the commit that filled a segment and
        // before the next one, that is still the full segment, not the new one.
        var keepFrom = _store.GetApplied() is { } applied ? Math.Min(applied.End.Segment, _segments.Current) : _segments.Current;
        if (_store.OldestSegment() is { } oldest && oldest < keepFrom) keepFrom = oldest;
        var remove = _segments.Ids.Where(id => id < keepFrom).ToList();
        if (remove.Count == 0) return;
        var bytes = remove.Sum(_segments.LengthOf);
        _segments.Remove(remove);
        WalLog.SegmentsRemoved(_logger, remove.Count, bytes);
    }

    private void CloseCleanly()
    {
        try
        {
            Checkpoint();
        }
        catch (Exception ex)
        {
            // The segments are complete on disk; the next open replays them.
            WalLog.WriterFailed(_logger, ex);
        }
    }

    /// <summary>Finishes queued writes, checkpoints, and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_queueGate)
        {
            _stopping = true;
            Monitor.Pulse(_queueGate);
        }
        await _writerExited.Task.ConfigureAwait(false);
        lock (_queueGate)
        {
            var error = new ObjectDisposedException(nameof(LiteDbWriteAheadLog));
            foreach (var work in _queue) work.Fail(error);
            _queue.Clear();
        }
        lock (_queueGate) Monitor.PulseAll(_queueGate);
        _db.Dispose();
        _dataFile.Dispose();
        _logFile.Dispose();
        _segments.Dispose();
        _marker.Dispose();
        _metrics.Dispose();
        WalLog.Closed(_logger, _path);
    }
}
