using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using LiteDB;
using LiteDB.Engine;
using Lux.Raft.Storage.LiteDb.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lux.Raft.Storage.LiteDb;

/// <summary>
/// A silo's write-ahead log for every local replica: entries in append-only segment files, and in one LiteDB database
/// the index of where they lie, hard state and snapshot metadata. Writes from all partitions and callers are
/// group-committed: whatever arrives while a commit is being synced goes into the next commit, and each commit costs
/// one fsync, of the segment its record went to. A write's task completes only after that sync. See docs/wal.md.
/// </summary>
public sealed partial class LiteDbWriteAheadLog : IRaftLogStoreProvider
{
    private readonly LiteDbWalOptions _options;
    private readonly ILogger _logger;
    private readonly WalMetrics _metrics;
    private readonly WalFileStream _dataFile;
    private readonly WalFileStream _logFile;
    private readonly SegmentLog _segments;
    private readonly CheckpointMarker _marker;
    private readonly LiteDatabase _db;
    private readonly ChunkStore _store;
    private readonly ConcurrentDictionary<ulong, PartitionSlot> _slots = new();
    private readonly string _path;

    private LiteDbWriteAheadLog(LiteDbWalOptions options, ILogger logger, WalMetrics metrics, WalFileStream dataFile,
        WalFileStream logFile, SegmentLog segments, CheckpointMarker marker, LiteDatabase db, string path)
    {
        _options = options;
        _logger = logger;
        _metrics = metrics;
        _dataFile = dataFile;
        _logFile = logFile;
        _segments = segments;
        _marker = marker;
        _db = db;
        _path = path;
        _store = new ChunkStore(db, segments);
        _confirmedTarget = logFile.ConfirmedPages;
        Snapshots = new SnapshotFileStore(Path.Combine(Path.GetDirectoryName(path)!, "snapshots"), options.Sync, logger);
        _writerThread = new Thread(WriterLoop) { IsBackground = true, Name = "lux-wal-writer" };
    }

    /// <summary>The snapshot files kept beside the database.</summary>
    public SnapshotFileStore Snapshots { get; }

    /// <summary>The database file's full path.</summary>
    public string DatabasePath => _path;

    /// <summary>The directory of the segment files holding the entries.</summary>
    public string SegmentDirectory => _segments.Directory;

    /// <inheritdoc />
    public IReadOnlyCollection<ulong> Partitions => _slots.Values.Where(s => s.Stored).Select(s => s.Id).ToArray();

    /// <summary>Counters of the sync path, for diagnostics and the durability tests.</summary>
    public WalStatistics Statistics => new(
        _segments.CommitSyncs, Interlocked.Read(ref _commits), _logFile.Syncs, _dataFile.Syncs,
        _segments.OtherSyncs + Interlocked.Read(ref _markerSyncs), _logFile.LiteDbFlushes, _segments.BytesWritten,
        _logFile.Writes, _logFile.BytesWritten, Interlocked.Read(ref _checkpoints), _logFile.Length, _segments.Ids.Count);

    /// <summary>
    /// Opens (creating if needed) the WAL in <see cref="LiteDbWalOptions.DataDirectory"/>: validates the options, sets
    /// LiteDB's unsynced log aside, opens LiteDB, replays the segment records it has not applied (cutting a torn or
    /// damaged tail back to the last whole record) and loads every partition's metadata.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid or the directory is unusable.</exception>
    /// <exception cref="IOException">The files are in use by another process or cannot be read.</exception>
    public static async ValueTask<LiteDbWriteAheadLog> OpenAsync(LiteDbWalOptions options, ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        LiteDbWalOptionsValidator.ValidateOrThrow(options);
        cancellationToken.ThrowIfCancellationRequested();
        return await Task.Run(() => Open(options, OsWalFileSystem.Instance, loggerFactory, meterFactory), cancellationToken).ConfigureAwait(false);
    }

    internal static LiteDbWriteAheadLog Open(LiteDbWalOptions options, IWalFileSystem files, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        var started = Stopwatch.GetTimestamp();
        var logger = (ILogger?)loggerFactory?.CreateLogger<LiteDbWriteAheadLog>() ?? NullLogger.Instance;
        var directory = Path.GetFullPath(options.DataDirectory);
        var dataPath = Path.Combine(directory, options.FileName);
        var stem = Path.GetFileNameWithoutExtension(options.FileName);
        var logPath = Path.Combine(directory, stem + "-log" + Path.GetExtension(options.FileName));
        var metrics = new WalMetrics(meterFactory);
        IWalFile? data = null, log = null;
        CheckpointMarker? marker = null;
        SegmentLog? segments = null;
        WalFileStream? dataStream = null, logStream = null;
        LiteDatabase? db = null;
        try
        {
            marker = new CheckpointMarker(OpenFile(files, Path.Combine(directory, stem + ".ckpt")), options.Sync);
            data = OpenFile(files, dataPath);
            log = OpenFile(files, logPath);
            segments = SegmentLog.Open(files, Path.Combine(directory, "segments"), options.Sync, metrics.RecordSync);
            var resumeCheckpoint = false;
            if (data.Length == 0)
            {
                if (log.Length > 0 || segments.TotalBytes > 0)
                {
                    throw new IOException($"WAL data file {dataPath} is empty or missing but its log or segment files hold data: refusing to rebuild a log without its database.");
                }
                // Before the database exists, so a database without a readable marker was damaged, not new.
                marker.Write(0);
                if (options.Sync) files.SyncDirectory(directory);
            }
            else
            {
                resumeCheckpoint = SetLiteDbLogAside(marker, log, logPath, logger, metrics);
            }
            dataStream = new WalFileStream(data, WalFileRole.Data, options.Sync, metrics.RecordSync);
            logStream = new WalFileStream(log, WalFileRole.Log, options.Sync, metrics.RecordSync);
            data = log = null;
            LiteEngine engine;
            try
            {
                engine = new LiteEngine(new EngineSettings { DataStream = dataStream, LogStream = logStream });
            }
            catch (LiteException ex)
            {
                throw new WalCorruptionException($"WAL database {dataPath} is damaged and cannot be opened: {ex.Message}", ex);
            }
            db = new LiteDatabase(engine, disposeOnClose: true);
            // We checkpoint ourselves between group commits, where it cannot delay an acknowledgement mid-commit.
            if (db.CheckpointSize != 0)
            {
                // A checkpoint syncs the log after its last commit page is written, found by counting them, so every
                // other LiteDB write must be on disk before the writer starts: wait for this one's commit page.
                var target = logStream.ConfirmedPages + 1;
                db.CheckpointSize = 0;
                if (!logStream.WaitForConfirmedPages(target, options.CommitWriteTimeout))
                {
                    throw new IOException("LiteDB did not write the commit page of its settings change");
                }
            }
            var wal = new LiteDbWriteAheadLog(options, logger, metrics, dataStream, logStream, segments, marker, db, dataPath);
            (long Records, long Bytes) replayed;
            try
            {
                replayed = wal.ReplaySegments();
                wal.LoadPartitions();
                if (resumeCheckpoint) wal.Checkpoint();
            }
            catch (LiteException ex)
            {
                throw new WalCorruptionException($"WAL database {dataPath} is damaged and cannot be read: {ex.Message}", ex);
            }
            wal._writerThread.Start();
            WalLog.Opened(logger, dataPath, wal._slots.Count, replayed.Records, replayed.Bytes, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return wal;
        }
        catch
        {
            db?.Dispose();
            dataStream?.Dispose();
            logStream?.Dispose();
            data?.Dispose();
            log?.Dispose();
            segments?.Dispose();
            marker?.Dispose();
            metrics.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Decides what of LiteDB's log to keep before LiteDB reads it. Group commits never sync it, so after a crash its
    /// tail may hold pages that never fully reached the disk: it is dropped, and the segments (synced by every commit)
    /// rebuild what it held. Only a checkpoint cut short keeps it, up to the length it synced before it began.
    /// </summary>
    /// <returns>Whether a checkpoint was cut short and must be finished.</returns>
    private static bool SetLiteDbLogAside(CheckpointMarker marker, IWalFile log, string logPath, ILogger logger, WalMetrics metrics)
    {
        var inProgress = marker.Read();
        if (inProgress == 0)
        {
            if (log.Length == 0) return false;
            WalLog.LogDiscarded(logger, logPath, log.Length);
            log.SetLength(0);
            log.FlushToDisk();
            return false;
        }
        if (inProgress is null) WalLog.CheckpointMarkerDamaged(logger, marker.Path);
        else if (log.Length > inProgress)
        {
            log.SetLength(inProgress.Value);
            log.FlushToDisk();
        }
        var report = LogFileInspector.Inspect(log);
        if (report.Damaged)
        {
            metrics.Corruptions.Add(1);
            var damage = report.HolePage >= 0
                ? $"page {report.HolePage} never reached the disk but later pages did"
                : $"torn write: {report.TornBytes} bytes past the last whole page";
            WalLog.LogTailDamaged(logger, logPath, damage, report.OriginalLength, report.ValidLength, report.UncommittedPages);
        }
        else if (report.CutBack)
        {
            WalLog.LogTailUncommitted(logger, logPath, report.UncommittedPages, report.OriginalLength, report.ValidLength);
        }
        return true;
    }

    private static IWalFile OpenFile(IWalFileSystem files, string path)
    {
        try
        {
            return files.Open(path);
        }
        catch (IOException ex)
        {
            throw new IOException($"WAL file {path} cannot be opened (is another silo using this data directory?): {ex.Message}", ex);
        }
    }

    private void LoadPartitions()
    {
        foreach (var (partition, meta) in _store.ReadAllMeta())
        {
            var state = new LogState();
            var slot = new PartitionSlot(partition, state, _options.EntryCacheBytesPerPartition) { Stored = true };
            if (!MetaCodec.TryDecode(meta, state, out var error))
            {
                slot.CorruptReason = error;
                _metrics.Corruptions.Add(1);
                WalLog.MetadataCorrupt(_logger, partition, error ?? "unreadable");
            }
            slot.Writer = state.Clone();
            _slots[partition] = slot;
        }
    }

    /// <inheritdoc />
    async ValueTask<IRaftLogStore> IRaftLogStoreProvider.OpenPartitionAsync(ulong partitionId, CancellationToken cancellationToken) =>
        await OpenPartitionAsync(partitionId, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Opens a partition's log. The first open of a stored partition checks the tail of its log (checksums, sequence,
    /// agreement with the metadata) and cuts a damaged tail back to the last valid entry before returning.
    /// </summary>
    /// <exception cref="WalCorruptionException">The partition's metadata is damaged.</exception>
    public ValueTask<LiteDbRaftLogStore> OpenPartitionAsync(ulong partitionId, CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        var slot = _slots.GetOrAdd(partitionId, id => new PartitionSlot(id, new LogState(), _options.EntryCacheBytesPerPartition));
        if (slot.CorruptReason is { } reason)
        {
            throw new WalCorruptionException($"partition {partitionId}: metadata document is damaged ({reason})");
        }
        Task<LiteDbRaftLogStore> opening;
        lock (slot.Gate)
        {
            opening = slot.Opening ??= Task.Run(() => VerifyAndOpenAsync(slot));
        }
        return opening.IsCompletedSuccessfully ? new(opening.Result) : new(opening.WaitAsync(cancellationToken));
    }

    /// <inheritdoc />
    public async ValueTask DeletePartitionAsync(ulong partitionId, CancellationToken cancellationToken = default)
    {
        if (!_slots.TryGetValue(partitionId, out var slot)) return;
        await Enqueue(new DeleteRequest(slot), cancellationToken).ConfigureAwait(false);
        Snapshots.DeleteAll(partitionId);
    }

    /// <summary>
    /// Makes LiteDB's state durable in its data file now and removes the segment files nothing needs any more (normally
    /// done when LiteDB's log or the segments written since the last checkpoint pass <see cref="LiteDbWalOptions.CheckpointBytes"/>).
    /// </summary>
    public ValueTask CheckpointAsync(CancellationToken cancellationToken = default) => Enqueue(new CheckpointRequest(), cancellationToken);

    internal ChunkStore Store => _store;

    internal WalFileStream LogFile => _logFile;

    internal SegmentLog Segments => _segments;

    internal WalFileStream DataFile => _dataFile;

    internal ILogger Logger => _logger;

    internal WalMetrics Metrics => _metrics;

    internal LiteDbWalOptions Options => _options;
}

/// <summary>Counters of a WAL's sync path.</summary>
/// <param name="CommitSyncs">fsync calls of group commits, on the current segment file: one per commit.</param>
/// <param name="Commits">Group commits.</param>
/// <param name="LogSyncs">fsync calls on LiteDB's log file (checkpoints only).</param>
/// <param name="DataSyncs">fsync calls on the data file (checkpoints only).</param>
/// <param name="OtherSyncs">Other fsync calls: checkpoint marker, directory entries of new or removed segments, recovery.</param>
/// <param name="LiteDbLogFlushes">Flushes LiteDB asked for on its log, none of which became an fsync.</param>
/// <param name="SegmentBytesWritten">Bytes appended to the segment files.</param>
/// <param name="LogWrites">Page writes to LiteDB's log file.</param>
/// <param name="LogBytesWritten">Bytes written to LiteDB's log file.</param>
/// <param name="Checkpoints">Checkpoints run.</param>
/// <param name="LogLength">LiteDB's log file's current length.</param>
/// <param name="Segments">Segment files present.</param>
public readonly record struct WalStatistics(
    long CommitSyncs, long Commits, long LogSyncs, long DataSyncs, long OtherSyncs, long LiteDbLogFlushes, long SegmentBytesWritten,
    long LogWrites, long LogBytesWritten, long Checkpoints, long LogLength, int Segments);
