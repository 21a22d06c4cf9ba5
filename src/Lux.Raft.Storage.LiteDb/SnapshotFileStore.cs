using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Lux.Raft.Storage.LiteDb;

/// <summary>
/// State-machine snapshots as files beside the database: <c>snapshots/{partition:x16}/{index:x16}-{term:x16}.snap</c>.
/// A snapshot is written to a temporary file, synced, renamed into place and the directory synced, so a file under
/// its final name is always complete. The file carries its index and term and a CRC-32 of its content, checked when
/// it is read to the end. Flow: write the file, then record its metadata with
/// <see cref="IRaftLogStore.ApplySnapshotAsync"/>, then <see cref="DeleteOlderThan"/>.
/// </summary>
public sealed partial class SnapshotFileStore
{
    private const uint Magic = 0x3153584C; // "LXS1"
    private const int HeaderSize = 4 + 8 + 8 + 8;
    private const int TrailerSize = 8 + 4;
    private readonly bool _sync;
    private readonly ILogger _logger;

    internal SnapshotFileStore(string directory, bool sync, ILogger logger)
    {
        Directory = directory;
        _sync = sync;
        _logger = logger;
        System.IO.Directory.CreateDirectory(directory);
        foreach (var temp in System.IO.Directory.EnumerateFiles(directory, "*.tmp", SearchOption.AllDirectories))
        {
            File.Delete(temp);
            WalLog.SnapshotFileRemoved(_logger, temp, "unfinished write from before the last restart");
        }
    }

    /// <summary>The root directory of the snapshot files.</summary>
    public string Directory { get; }

    /// <summary>The path the snapshot of <paramref name="partition"/> at <paramref name="index"/>/<paramref name="term"/> has.</summary>
    public string PathFor(ulong partition, ulong index, ulong term) =>
        Path.Combine(PartitionDirectory(partition), $"{index:x16}-{term:x16}.snap");

    /// <summary>
    /// Writes a snapshot file: <paramref name="writeContent"/> writes the state machine's bytes into the stream it is
    /// given; the file is then completed, synced and renamed into place. Returns the final path.
    /// </summary>
    public async ValueTask<string> WriteAsync(ulong partition, SnapshotMetadata snapshot, Func<Stream, CancellationToken, ValueTask> writeContent,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(writeContent);
        var final = PathFor(partition, snapshot.Index, snapshot.Term);
        var directory = PartitionDirectory(partition);
        System.IO.Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $"{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                var header = new byte[HeaderSize];
                BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(4), partition);
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(12), snapshot.Index);
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(20), snapshot.Term);
                await file.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                var content = new ChecksumWriteStream(file);
                await writeContent(content, cancellationToken).ConfigureAwait(false);
                var trailer = new byte[TrailerSize];
                BinaryPrimitives.WriteInt64LittleEndian(trailer, content.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(8), content.Crc);
                await file.WriteAsync(trailer, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (_sync) file.Flush(flushToDisk: true);
            }
            File.Move(temp, final, overwrite: true);
            if (_sync) SyncDirectory(directory);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        WalLog.SnapshotWritten(_logger, partition, snapshot.Index, snapshot.Term, final);
        return final;
    }

    /// <summary>
    /// Opens the content of the snapshot at <paramref name="index"/>/<paramref name="term"/>, or returns null if there is
    /// no such file. Reading the stream to its end throws <see cref="WalCorruptionException"/> if the content's
    /// checksum or length does not match.
    /// </summary>
    /// <exception cref="WalCorruptionException">The file's header does not describe this snapshot.</exception>
    public Stream? OpenRead(ulong partition, ulong index, ulong term)
    {
        var path = PathFor(partition, index, term);
        if (!File.Exists(path)) return null;
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        try
        {
            if (file.Length < HeaderSize + TrailerSize) throw new WalCorruptionException($"snapshot file {path} is too short ({file.Length} bytes)");
            var header = new byte[HeaderSize];
            file.ReadExactly(header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic
                || BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(4)) != partition
                || BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(12)) != index
                || BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(20)) != term)
            {
                throw new WalCorruptionException($"snapshot file {path} does not hold partition {partition}'s snapshot {index}/{term}");
            }
            var trailer = new byte[TrailerSize];
            file.Position = file.Length - TrailerSize;
            file.ReadExactly(trailer);
            var length = BinaryPrimitives.ReadInt64LittleEndian(trailer);
            if (length != file.Length - HeaderSize - TrailerSize) throw new WalCorruptionException($"snapshot file {path} records {length} content bytes but holds {file.Length - HeaderSize - TrailerSize}");
            file.Position = HeaderSize;
            return new ChecksumReadStream(file, length, BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(8)), path);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The snapshot files of a partition, oldest first.</summary>
    public IReadOnlyList<(ulong Index, ulong Term, string Path)> List(ulong partition)
    {
        var directory = PartitionDirectory(partition);
        if (!System.IO.Directory.Exists(directory)) return [];
        var found = new List<(ulong, ulong, string)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*.snap"))
        {
            var name = Path.GetFileNameWithoutExtension(path).Split('-');
            if (name.Length == 2 && ulong.TryParse(name[0], System.Globalization.NumberStyles.HexNumber, null, out var index)
                && ulong.TryParse(name[1], System.Globalization.NumberStyles.HexNumber, null, out var term))
            {
                found.Add((index, term, path));
            }
        }
        found.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return found;
    }

    /// <summary>Removes a partition's snapshot files below <paramref name="index"/> (after a newer one's metadata is durable).</summary>
    public void DeleteOlderThan(ulong partition, ulong index)
    {
        foreach (var (i, _, path) in List(partition))
        {
            if (i < index)
            {
                File.Delete(path);
                WalLog.SnapshotFileRemoved(_logger, path, $"superseded by the snapshot at {index}");
            }
        }
    }

    /// <summary>Removes all of a partition's snapshot files.</summary>
    public void DeleteAll(ulong partition)
    {
        var directory = PartitionDirectory(partition);
        if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
    }

    private string PartitionDirectory(ulong partition) => Path.Combine(Directory, partition.ToString("x16"));

    private static void SyncDirectory(string directory) => Internal.DirectorySync.Sync(directory);

    /// <summary>Passes writes through and keeps their CRC-32 and length.</summary>
    private sealed class ChecksumWriteStream(Stream inner) : Stream
    {
        private readonly Crc32 _crc = new();
        private long _length;

        public uint Crc => _crc.GetCurrentHashAsUInt32();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _crc.Append(buffer);
            _length += buffer.Length;
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _crc.Append(buffer.Span);
            _length += buffer.Length;
            return inner.WriteAsync(buffer, cancellationToken);
        }
    }

    /// <summary>Reads a snapshot's content and checks its CRC-32 when the end is reached.</summary>
    private sealed class ChecksumReadStream(FileStream inner, long length, uint expectedCrc, string path) : Stream
    {
        private readonly Crc32 _crc = new();
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, length - _read)]);
            return Account(buffer[..n]);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - _read)], cancellationToken).ConfigureAwait(false);
            return Account(buffer.Span[..n]);
        }

        private int Account(ReadOnlySpan<byte> data)
        {
            _crc.Append(data);
            _read += data.Length;
            if (data.Length == 0 || _read == length)
            {
                if (_read != length) throw new WalCorruptionException($"snapshot file {path} ended after {_read} of {length} bytes");
                if (_crc.GetCurrentHashAsUInt32() != expectedCrc) throw new WalCorruptionException($"snapshot file {path} failed its checksum");
            }
            return data.Length;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
