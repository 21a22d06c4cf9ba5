using Lux.Raft.Storage.LiteDb.Internal;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>
/// A disk that remembers, per file, what a sync has made durable and which writes came after. A power cut is
/// modelled by reopening from the durable images (optionally plus an in-order prefix of the later writes), so a test
/// sees exactly which writes the WAL's syncs covered. Under the real sync path: LiteDB, the WAL's streams and their
/// sync calls are all the production code.
/// </summary>
internal sealed class SimulatedDisk : IWalFileSystem
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SimulatedFile> _files = [];

    public SimulatedDisk() { }

    private SimulatedDisk(Dictionary<string, byte[]> images)
    {
        foreach (var (path, image) in images) _files[path] = new SimulatedFile(this, path, image);
    }

    /// <summary>Called inside every sync, before it takes effect; a test may block here to hold a commit in flight.</summary>
    public Action<string>? OnSync { get; set; }

    public long Syncs { get; private set; }

    public IWalFile Open(string path)
    {
        lock (_gate)
        {
            if (!_files.TryGetValue(path, out var file)) _files[path] = file = new SimulatedFile(this, path, []);
            return file;
        }
    }

    public IReadOnlyList<string> List(string directory, string suffix)
    {
        lock (_gate)
        {
            return _files.Keys.Where(p => System.IO.Path.GetDirectoryName(p) == directory && p.EndsWith(suffix, StringComparison.Ordinal)).ToList();
        }
    }

    public void CreateDirectory(string directory) { }

    /// <summary>Removal is modelled as durable at once (the WAL syncs the directory right after it).</summary>
    public void Delete(string path)
    {
        lock (_gate) _files.Remove(path);
    }

    public void SyncDirectory(string directory) => OnSync?.Invoke(directory);

    /// <summary>The disk as a power cut at this moment would leave it.</summary>
    public PowerCut Cut()
    {
        lock (_gate)
        {
            return new PowerCut(_files.ToDictionary(f => f.Key, f => f.Value.DurableImage()),
                _files.ToDictionary(f => f.Key, f => f.Value.UnsyncedWrites()));
        }
    }

    /// <summary>What survives a power cut: the synced images and the writes since, in order.</summary>
    internal sealed record PowerCut(Dictionary<string, byte[]> Durable, Dictionary<string, List<(long Offset, byte[] Data, long? Truncate)>> Unsynced)
    {
        /// <summary>A disk holding the synced images plus the first <paramref name="extraWrites"/> later writes of each file.</summary>
        public SimulatedDisk Restore(int extraWrites = 0)
        {
            var images = new Dictionary<string, byte[]>();
            foreach (var (path, durable) in Durable)
            {
                var data = new List<byte>(durable);
                foreach (var (offset, bytes, truncate) in Unsynced[path].Take(extraWrites))
                {
                    if (truncate is { } length)
                    {
                        if (data.Count > length) data.RemoveRange((int)length, data.Count - (int)length);
                        else while (data.Count < length) data.Add(0);
                        continue;
                    }
                    while (data.Count < offset + bytes.Length) data.Add(0);
                    for (var i = 0; i < bytes.Length; i++) data[(int)offset + i] = bytes[i];
                }
                images[path] = data.ToArray();
            }
            return new SimulatedDisk(images);
        }
    }

    private sealed class SimulatedFile(SimulatedDisk disk, string path, byte[] initial) : IWalFile
    {
        private byte[] _current = initial.ToArray();
        private long _length = initial.Length;
        private byte[] _durable = initial.ToArray();
        private readonly List<(long, byte[], long?)> _unsynced = [];

        public string Path => path;

        public long Length
        {
            get { lock (disk._gate) return _length; }
        }

        public int Read(long offset, Span<byte> buffer)
        {
            lock (disk._gate)
            {
                if (offset >= _length) return 0;
                var n = (int)Math.Min(buffer.Length, _length - offset);
                _current.AsSpan((int)offset, n).CopyTo(buffer);
                return n;
            }
        }

        public void Write(long offset, ReadOnlySpan<byte> buffer)
        {
            lock (disk._gate)
            {
                Ensure(offset + buffer.Length);
                buffer.CopyTo(_current.AsSpan((int)offset));
                _length = Math.Max(_length, offset + buffer.Length);
                _unsynced.Add((offset, buffer.ToArray(), null));
            }
        }

        public void SetLength(long length)
        {
            lock (disk._gate)
            {
                Ensure(length);
                if (length < _length) Array.Clear(_current, (int)length, (int)(_length - length));
                _length = length;
                _unsynced.Add((0, [], length));
            }
        }

        public void FlushToDisk()
        {
            disk.OnSync?.Invoke(path);
            lock (disk._gate)
            {
                _durable = _current.AsSpan(0, (int)_length).ToArray();
                _unsynced.Clear();
                disk.Syncs++;
            }
        }

        public byte[] DurableImage() => _durable.ToArray();

        public List<(long, byte[], long?)> UnsyncedWrites() => [.. _unsynced];

        public void Dispose() { }

        private void Ensure(long size)
        {
            if (size <= _current.Length) return;
            Array.Resize(ref _current, (int)Math.Max(size, _current.Length * 2L));
        }
    }
}
