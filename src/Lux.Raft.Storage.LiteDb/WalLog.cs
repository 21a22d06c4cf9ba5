using Microsoft.Extensions.Logging;

namespace Lux.Raft.Storage.LiteDb;

/// <summary>Every log message of the write-ahead log, in one place.</summary>
internal static partial class WalLog
{
    [LoggerMessage(1, LogLevel.Information, "WAL opened at {Path}: {Partitions} partitions, {Records} segment records ({Bytes} bytes) replayed, in {ElapsedMs:F1} ms")]
    public static partial void Opened(ILogger logger, string path, int partitions, long records, long bytes, double elapsedMs);

    [LoggerMessage(2, LogLevel.Warning, "WAL log file {Path} had a damaged tail ({Damage}); cut back from {OriginalLength} to {ValidLength} bytes, the end of its last committed transaction, dropping {UncommittedPages} pages of writes that were never acknowledged")]
    public static partial void LogTailDamaged(ILogger logger, string path, string damage, long originalLength, long validLength, long uncommittedPages);

    [LoggerMessage(3, LogLevel.Information, "WAL log file {Path}: dropped {UncommittedPages} pages of a transaction that was never committed (cut back from {OriginalLength} to {ValidLength} bytes)")]
    public static partial void LogTailUncommitted(ILogger logger, string path, long uncommittedPages, long originalLength, long validLength);

    [LoggerMessage(4, LogLevel.Warning, "WAL partition {Partition}: damaged tail ({Reason}); log cut back from last index {OldLastIndex} to {NewLastIndex}")]
    public static partial void PartitionTailCutBack(ILogger logger, ulong partition, string reason, ulong oldLastIndex, ulong newLastIndex);

    [LoggerMessage(5, LogLevel.Error, "WAL partition {Partition}: after cutting back a damaged tail the last index {LastIndex} is below the persisted commit index {Commit}; committed entries were lost to corruption")]
    public static partial void CommittedEntriesLost(ILogger logger, ulong partition, ulong lastIndex, ulong commit);

    [LoggerMessage(6, LogLevel.Error, "WAL partition {Partition}: damaged entries read at index {Index}: {Reason}")]
    public static partial void ReadCorruption(ILogger logger, ulong partition, ulong index, string reason);

    [LoggerMessage(7, LogLevel.Critical, "WAL writer failed; the log refuses further writes until the silo restarts")]
    public static partial void WriterFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Debug, "WAL checkpoint: {LogBytes} bytes of log copied into the data file in {ElapsedMs:F1} ms")]
    public static partial void Checkpointed(ILogger logger, long logBytes, double elapsedMs);

    [LoggerMessage(9, LogLevel.Error, "WAL partition {Partition}: its metadata document is damaged ({Reason})")]
    public static partial void MetadataCorrupt(ILogger logger, ulong partition, string reason);

    [LoggerMessage(10, LogLevel.Information, "WAL snapshot for partition {Partition} at {Index}/{Term} written to {Path}")]
    public static partial void SnapshotWritten(ILogger logger, ulong partition, ulong index, ulong term, string path);

    [LoggerMessage(11, LogLevel.Warning, "WAL snapshot file {Path} removed: {Reason}")]
    public static partial void SnapshotFileRemoved(ILogger logger, string path, string reason);

    [LoggerMessage(12, LogLevel.Information, "WAL closed at {Path}")]
    public static partial void Closed(ILogger logger, string path);

    [LoggerMessage(13, LogLevel.Information, "WAL log file {Path}: dropped {Bytes} bytes LiteDB wrote since the last checkpoint (never synced; the segment files replay them)")]
    public static partial void LogDiscarded(ILogger logger, string path, long bytes);

    [LoggerMessage(14, LogLevel.Warning, "WAL checkpoint marker {Path} is missing or damaged; LiteDB's log is kept and checked page by page")]
    public static partial void CheckpointMarkerDamaged(ILogger logger, string path);

    [LoggerMessage(15, LogLevel.Warning, "WAL segment {Path} has a damaged tail at offset {Offset} ({Damage}); cut back from {OriginalLength} bytes to the end of its last whole record, dropping a write that was never acknowledged")]
    public static partial void SegmentTailCutBack(ILogger logger, string path, long offset, string damage, long originalLength);

    [LoggerMessage(16, LogLevel.Error, "WAL segment {Path} ({Bytes} bytes) follows a damaged record and is removed; acknowledged writes in it were lost to corruption")]
    public static partial void SegmentLostAfterDamage(ILogger logger, string path, long bytes);

    [LoggerMessage(17, LogLevel.Debug, "WAL removed {Count} segment files no entry or replay needs ({Bytes} bytes)")]
    public static partial void SegmentsRemoved(ILogger logger, int count, long bytes);
}
