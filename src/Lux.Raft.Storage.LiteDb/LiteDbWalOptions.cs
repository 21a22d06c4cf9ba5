namespace Lux.Raft.Storage.LiteDb;

/// <summary>Configuration of a silo's <see cref="LiteDbWriteAheadLog"/>. Checked by <see cref="LiteDbWalOptionsValidator"/> at start.</summary>
public sealed class LiteDbWalOptions
{
    /// <summary>The directory holding the database, its log and the snapshot files. Created if missing; must be writable.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>The database file's name inside <see cref="DataDirectory"/>. LiteDB's log sits beside it as "name-log.db".</summary>
    public string FileName { get; set; } = "raft-wal.db";

    /// <summary>
    /// Whether writes are synced (fsync) before they are acknowledged. Turning this off is for tests only: acknowledged
    /// writes then survive a process crash (they are in the OS page cache) but not a power loss or a kernel crash.
    /// </summary>
    public bool Sync { get; set; } = true;

    /// <summary>The largest accepted entry payload, in bytes. Larger entries fail their <c>SaveAsync</c> with an <see cref="ArgumentException"/>.</summary>
    public int MaxEntryBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// How many bytes of requests one group commit takes at most. A commit takes at least one request, so a single
    /// request may be larger; requests beyond the limit wait for the next commit.
    /// </summary>
    public long MaxBatchBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The largest chunk document: consecutive entries of a partition are packed into documents of about this size.</summary>
    public int MaxChunkBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// When LiteDB's log file, or the segment bytes written since the last checkpoint, grow past this many bytes, the
    /// writer makes LiteDB's state durable in its data file (a checkpoint) between two group commits. Bigger means fewer
    /// pauses and a longer replay of the segments at start after a crash.
    /// </summary>
    public long CheckpointBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The size at which the writer starts a new segment file (the files holding the entries). Space is reclaimed a whole
    /// segment at a time once no partition needs its entries, so smaller segments free space sooner, at the cost of more files.
    /// </summary>
    public long SegmentBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How many bytes of each partition's newest entries are kept in memory for reads.</summary>
    public long EntryCacheBytesPerPartition { get; set; } = 1024 * 1024;

    /// <summary>How long a checkpoint waits for LiteDB to write the pages of its commits before the log is declared failed.</summary>
    public TimeSpan CommitWriteTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
