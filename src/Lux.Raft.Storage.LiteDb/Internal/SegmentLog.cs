using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// The segment files: append-only files of <see cref="SegmentRecord"/>s, one per group commit, holding every entry's
/// bytes. Only the writer thread appends, rolls and deletes; readers read chunk payloads by position from any thread.
/// A file is named by its id (<c>segments/&lt;id:x16&gt;.seg</c>); ids only grow.
/// </summary>
internal sealed class SegmentLog : IDisposable
{
    public const string Suffix = ".seg";

    private readonly IWalFileSystem _files;
    private readonly bool _syncEnabled;
    private readonly Action<TimeSpan>? _onSync;
    private readonly ConcurrentDictionary<ulong, IWalFile> _segments = new();
    private List<IWalFile> _retired = [];
    private long _commitSyncs;
    private long _otherSyncs;
    private long _bytesWritten;

    private SegmentLog(IWalFileSystem files, string directory, bool syncEnabled, Action<TimeSpan>? onSync)
    {
        _files = files;
        Directory = directory;
        _syncEnabled = syncEnabled;
        _onSync = onSync;
    }

    public string Directory { get; }

    /// <summary>The segment appends go to.</summary>
    public ulong Current { get; private set; }

    /// <summary>Where the next record goes.</summary>
    public SegmentPosition End { get; private set; }

    /// <summary>The ids of the segment files present, ascending.</summary>
    public IReadOnlyList<ulong> Ids => [.. _segments.Keys.Order()];

    /// <summary>fsyncs of group commits (one each).</summary>
    public long CommitSyncs => Interlocked.Read(ref _commitSyncs);

    /// <summary>fsyncs outside group commits: new segment files, recovery cut-backs.</summary>
    public long OtherSyncs => Interlocked.Read(ref _otherSyncs);

    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Opens every segment file in <paramref name="directory"/> (creating the directory if needed).</summary>
    public static SegmentLog Open(IWalFileSystem files, string directory, bool syncEnabled, Action<TimeSpan>? onSync)
    {
        var log = new SegmentLog(files, directory, syncEnabled, onSync);
        try
        {
            files.CreateDirectory(directory);
            foreach (var path in files.List(directory, Suffix))
            {
                var name = Path.GetFileNameWithoutExtension(path);
                if (name.Length != 16 || !ulong.TryParse(name, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id)) continue;
                log._segments[id] = files.Open(path);
            }
        }
        catch
        {
            log.Dispose();
            throw;
        }
        return log;
    }

    public string PathOf(ulong id) => Path.Combine(Directory, id.ToString("x16", CultureInfo.InvariantCulture) + Suffix);

    public long LengthOf(ulong id) => _segments.TryGetValue(id, out var file) ? file.Length : -1;

    public IWalFile? File(ulong id) => _segments.GetValueOrDefault(id);

    /// <summary>Total bytes of the segment files present.</summary>
    public long TotalBytes => _segments.Values.Sum(f => f.Length);

    /// <summary>After recovery: appends continue at <paramref name="end"/>; creates the first segment of a new log.</summary>
    public void StartAppending(SegmentPosition end)
    {
        if (!_segments.ContainsKey(end.Segment)) Create(end.Segment);
        Current = end.Segment;
        End = end;
    }

    /// <summary>Starts a new segment file; the next record goes to its start.</summary>
    public void Roll()
    {
        var id = Current + 1;
        Create(id);
        Current = id;
        End = new SegmentPosition(id, 0);
    }

    /// <summary>Writes a record at <see cref="End"/> (not yet durable).</summary>
    public void Append(ReadOnlySpan<byte> record)
    {
        _segments[Current].Write(End.Offset, record);
        End = End with { Offset = End.Offset + record.Length };
        Interlocked.Add(ref _bytesWritten, record.Length);
    }

    /// <summary>The group commit's one sync: makes every record appended so far durable.</summary>
    public void SyncCommit()
    {
        SyncFile(_segments[Current]);
        Interlocked.Increment(ref _commitSyncs);
    }

    /// <summary>Reads a chunk payload; an empty array when the bytes are not there (a removed or cut-short segment).</summary>
    public byte[] Read(ulong segment, long offset, int length)
    {
        if (length <= 0 || !_segments.TryGetValue(segment, out var file)) return [];
        var payload = new byte[length];
        try
        {
            return file.Read(offset, payload) == length ? payload : [];
        }
        catch (ObjectDisposedException)
        {
            // Removed by space reclamation while this read was on its way: the caller sees a missing chunk and retries.
            return [];
        }
    }

    /// <summary>Cuts a segment back to <paramref name="length"/>, durably (recovery of a torn tail).</summary>
    public void CutBack(ulong segment, long length)
    {
        var file = _segments[segment];
        file.SetLength(length);
        SyncFile(file);
        Interlocked.Increment(ref _otherSyncs);
    }

    /// <summary>Syncs a segment outside a group commit (after recovery replayed it).</summary>
    public void SyncOutsideCommit(ulong segment)
    {
        if (!_segments.TryGetValue(segment, out var file)) return;
        SyncFile(file);
        Interlocked.Increment(ref _otherSyncs);
    }

    /// <summary>Removes the given segment files. Open handles stay usable for readers in flight until the next removal.</summary>
    public void Remove(IEnumerable<ulong> ids)
    {
        var retired = new List<IWalFile>();
        foreach (var id in ids)
        {
            if (!_segments.TryRemove(id, out var file)) continue;
            _files.Delete(file.Path);
            retired.Add(file);
        }
        if (retired.Count == 0) return;
        SyncDirectory();
        foreach (var old in _retired) old.Dispose();
        _retired = retired;
    }

    public void Dispose()
    {
        foreach (var file in _segments.Values) file.Dispose();
        foreach (var file in _retired) file.Dispose();
        _segments.Clear();
        _retired.Clear();
    }

    private void Create(ulong id)
    {
        _segments[id] = _files.Open(PathOf(id));
        // The first commit's sync of the file covers its data, not its name in the directory.
        SyncDirectory();
    }

    private void SyncDirectory()
    {
        if (_syncEnabled) _files.SyncDirectory(Directory);
        Interlocked.Increment(ref _otherSyncs);
    }

    private void SyncFile(IWalFile file)
    {
        if (!_syncEnabled) return;
        var start = Stopwatch.GetTimestamp();
        file.FlushToDisk();
        _onSync?.Invoke(Stopwatch.GetElapsedTime(start));
    }
}
