using Microsoft.Win32.SafeHandles;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// One file of the WAL (the LiteDB data file or its "-log" file) as positional reads and writes. The seam exists so the
/// durability tests can put a simulated disk under the real sync path and see exactly which writes each sync covered.
/// </summary>
internal interface IWalFile : IDisposable
{
    string Path { get; }

    long Length { get; }

    int Read(long offset, Span<byte> buffer);

    void Write(long offset, ReadOnlySpan<byte> buffer);

    void SetLength(long length);

    /// <summary>Forces written data and the file size to stable storage (fsync).</summary>
    void FlushToDisk();
}

/// <summary>Opens, lists and removes the files of a WAL directory.</summary>
internal interface IWalFileSystem
{
    IWalFile Open(string path);

    /// <summary>Full paths of the files in <paramref name="directory"/> whose names end with <paramref name="suffix"/>; none if it does not exist.</summary>
    IReadOnlyList<string> List(string directory, string suffix);

    void CreateDirectory(string directory);

    void Delete(string path);

    /// <summary>Makes the creation and removal of files in <paramref name="directory"/> durable (fsync of the directory).</summary>
    void SyncDirectory(string directory);
}

/// <summary>Real files through <see cref="RandomAccess"/> (pread/pwrite/fsync), locked against a second opener.</summary>
internal sealed class OsWalFileSystem : IWalFileSystem
{
    public static OsWalFileSystem Instance { get; } = new();

    public IWalFile Open(string path) => new OsWalFile(path);

    public IReadOnlyList<string> List(string directory, string suffix) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory, "*" + suffix) : [];

    public void CreateDirectory(string directory) => Directory.CreateDirectory(directory);

    public void Delete(string path) => File.Delete(path);

    public void SyncDirectory(string directory) => DirectorySync.Sync(directory);
}

internal sealed class OsWalFile : IWalFile
{
    private readonly SafeFileHandle _handle;

    public OsWalFile(string path)
    {
        Path = path;
        // FileShare.None takes an advisory lock on Unix, so a second silo pointed at the same directory fails at start
        // instead of interleaving pages with ours.
        _handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }

    public string Path { get; }

    public long Length => RandomAccess.GetLength(_handle);

    public int Read(long offset, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(_handle, buffer[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public void Write(long offset, ReadOnlySpan<byte> buffer) => RandomAccess.Write(_handle, buffer, offset);

    public void SetLength(long length) => RandomAccess.SetLength(_handle, length);

    public void FlushToDisk() => RandomAccess.FlushToDisk(_handle);

    public void Dispose() => _handle.Dispose();
}
