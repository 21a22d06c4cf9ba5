using System.Diagnostics;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>Which LiteDB file a <see cref="WalFileStream"/> stands for.</summary>
internal enum WalFileRole : byte
{
    /// <summary>The data file: written only by checkpoints, which need its fsync before they truncate the log.</summary>
    Data,

    /// <summary>The "-log" file LiteDB appends committed pages to: synced only by checkpoints (the segments make commits durable).</summary>
    Log,
}

/// <summary>
/// The stream handed to LiteDB through <c>EngineSettings.DataStream</c> / <c>LogStream</c>. It is where the WAL takes
/// control of the sync path: LiteDB's own flushes of the log are counted but not executed (LiteDB 5.0.20 flushes the log
/// each time its writer queue runs dry, which is several times per commit and never tied to the commit's return); the
/// log is synced by checkpoints only, after they have seen every commit page written; group commits are made durable by
/// the segment files instead.
/// </summary>
internal sealed class WalFileStream : Stream
{
    /// <summary>LiteDB's page size.</summary>
    public const int PageSize = 8192;

    /// <summary>Offset of the "is confirmed" flag in a LiteDB page header: set on the last page of a committed transaction.</summary>
    private const int IsConfirmedOffset = 18;

    private readonly IWalFile _file;
    private readonly bool _syncEnabled;
    private readonly Action<TimeSpan>? _onSync;
    private readonly object _confirmSignal = new();
    private long _position;
    private long _length;
    private long _writes;
    private long _bytesWritten;
    private long _syncs;
    private long _liteDbFlushes;
    private long _confirmedPages;
    private long _writesCoveredBySync;
    private int _waiters;
    private bool _disposed;

    public WalFileStream(IWalFile file, WalFileRole role, bool syncEnabled, Action<TimeSpan>? onSync)
    {
        _file = file;
        Role = role;
        _syncEnabled = syncEnabled;
        _onSync = onSync;
        _length = file.Length;
    }

    public WalFileRole Role { get; }

    public string FilePath => _file.Path;

    /// <summary>Write calls that reached the file.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Real fsync calls made on this file.</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    /// <summary>How many writes had completed when the most recent sync started: everything up to there is durable.</summary>
    public long WritesCoveredBySync => Interlocked.Read(ref _writesCoveredBySync);

    /// <summary>Flushes LiteDB asked for on this file (executed for the data file, coalesced into our sync for the log).</summary>
    public long LiteDbFlushes => Interlocked.Read(ref _liteDbFlushes);

    /// <summary>Commit pages (pages with the confirmed flag) written so far.</summary>
    public long ConfirmedPages => Interlocked.Read(ref _confirmedPages);

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => true;
    public override long Length => Interlocked.Read(ref _length);

    public override long Position
    {
        get => _position;
        set => _position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = _file.Read(_position, buffer);
        _position += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _file.Write(_position, buffer);
        _position += buffer.Length;
        InterlockedMax(ref _length, _position);
        Interlocked.Add(ref _bytesWritten, buffer.Length);
        Interlocked.Increment(ref _writes);
        if (Role == WalFileRole.Log && buffer.Length == PageSize && buffer[IsConfirmedOffset] != 0)
        {
            Interlocked.Increment(ref _confirmedPages);
            if (Volatile.Read(ref _waiters) > 0)
            {
                lock (_confirmSignal) Monitor.PulseAll(_confirmSignal);
            }
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    /// <summary>LiteDB's flush request (its <c>FlushToDisk</c> calls <c>Flush()</c> on anything that is not a FileStream).</summary>
    public override void Flush()
    {
        Interlocked.Increment(ref _liteDbFlushes);
        // A checkpoint flushes the data file and then truncates the log; that order is the checkpoint's whole safety, so
        // the data file's flushes are real. The log's flushes are not needed: commits are durable in the segments.
        if (Role == WalFileRole.Data) Sync();
    }

    public override void SetLength(long value)
    {
        _file.SetLength(value);
        Interlocked.Exchange(ref _length, value);
        // After a checkpoint LiteDB truncates the log and restarts transaction ids at 1. If the truncation were lost while
        // new pages reached the disk, old pages beyond them would replay as newer transactions: make it durable now.
        if (Role == WalFileRole.Log) Sync();
    }

    /// <summary>One real fsync of the file (unless syncing is off, the tests-only mode).</summary>
    public void Sync()
    {
        var covered = Writes;
        if (_syncEnabled)
        {
            var start = Stopwatch.GetTimestamp();
            _file.FlushToDisk();
            _onSync?.Invoke(Stopwatch.GetElapsedTime(start));
        }
        Interlocked.Increment(ref _syncs);
        InterlockedMax(ref _writesCoveredBySync, covered);
    }

    /// <summary>Waits until at least <paramref name="target"/> commit pages have been written by LiteDB's writer thread.</summary>
    public bool WaitForConfirmedPages(long target, TimeSpan timeout)
    {
        var spin = new SpinWait();
        while (ConfirmedPages < target && !spin.NextSpinWillYield) spin.SpinOnce();
        if (ConfirmedPages >= target) return true;
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        Interlocked.Increment(ref _waiters);
        try
        {
            lock (_confirmSignal)
            {
                while (ConfirmedPages < target)
                {
                    var left = deadline - Stopwatch.GetTimestamp();
                    if (left <= 0) return false;
                    Monitor.Wait(_confirmSignal, TimeSpan.FromSeconds(Math.Min(1.0, (double)left / Stopwatch.Frequency)));
                }
                return true;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _file.Dispose();
        }
        base.Dispose(disposing);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }
}
