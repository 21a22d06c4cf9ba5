namespace Lux.Raft.Storage.LiteDb.Tests;

public sealed class SnapshotFileStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private LiteDbWriteAheadLog _wal = null!;

    public async Task InitializeAsync() => _wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = _dir.Path });

    public async Task DisposeAsync()
    {
        await _wal.DisposeAsync();
        _dir.Dispose();
    }

    private static byte[] Content(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 31)).ToArray();

    [Fact]
    public async Task A_snapshot_is_written_renamed_into_place_and_read_back_with_its_checksum()
    {
        var meta = new SnapshotMetadata(120, 3, ConfState.OfVoters(1, 2));
        var path = await _wal.Snapshots.WriteAsync(9, meta, (s, ct) => s.WriteAsync(Content(100_000), ct));
        Assert.Equal(_wal.Snapshots.PathFor(9, 120, 3), path);
        Assert.Empty(Directory.EnumerateFiles(_wal.Snapshots.Directory, "*.tmp", SearchOption.AllDirectories));
        await using var read = _wal.Snapshots.OpenRead(9, 120, 3)!;
        var buffer = new MemoryStream();
        await read.CopyToAsync(buffer);
        Assert.Equal(Content(100_000), buffer.ToArray());

        var store = await _wal.OpenPartitionAsync(9);
        await store.SaveAsync(null, Entries.Make(1, 130, 3));
        await store.ApplySnapshotAsync(meta);
        await _wal.Snapshots.WriteAsync(9, new SnapshotMetadata(125, 3, meta.ConfState), (s, ct) => s.WriteAsync(Content(10), ct));
        _wal.Snapshots.DeleteOlderThan(9, 125);
        Assert.Equal([125UL], _wal.Snapshots.List(9).Select(x => x.Index));
    }

    [Fact]
    public async Task A_damaged_snapshot_fails_its_checksum_when_read()
    {
        var path = await _wal.Snapshots.WriteAsync(4, new SnapshotMetadata(7, 1, new ConfState()), (s, ct) => s.WriteAsync(Content(5000), ct));
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[100] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);
        await using var read = _wal.Snapshots.OpenRead(4, 7, 1)!;
        await Assert.ThrowsAsync<WalCorruptionException>(() => read.CopyToAsync(Stream.Null));
    }

    [Fact]
    public async Task A_snapshot_for_another_point_is_not_served()
    {
        var path = await _wal.Snapshots.WriteAsync(4, new SnapshotMetadata(7, 1, new ConfState()), (s, ct) => s.WriteAsync(Content(10), ct));
        File.Copy(path, _wal.Snapshots.PathFor(4, 8, 1));
        Assert.Throws<WalCorruptionException>(() => _wal.Snapshots.OpenRead(4, 8, 1));
        Assert.Null(_wal.Snapshots.OpenRead(4, 9, 1));
    }

    [Fact]
    public async Task A_failed_write_leaves_no_file_behind()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await _wal.Snapshots.WriteAsync(5, new SnapshotMetadata(1, 1, new ConfState()), (_, _) => throw new InvalidOperationException("state machine failed")));
        Assert.Empty(_wal.Snapshots.List(5));
        Assert.Empty(Directory.EnumerateFiles(_wal.Snapshots.Directory, "*", SearchOption.AllDirectories));
    }
}
