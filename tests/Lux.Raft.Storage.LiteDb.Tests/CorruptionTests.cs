using System.Text;
using Lux.Raft.Storage;
using Microsoft.Extensions.Logging;

namespace Lux.Raft.Storage.LiteDb.Tests;

/// <summary>
/// Damage to the files on disk is found, logged and cut back to the last valid state, never served: torn and
/// unfinished tails of LiteDB's log, damaged entry records and metadata in the data file, a truncated data file.
/// </summary>
public sealed class CorruptionTests(Xunit.Abstractions.ITestOutputHelper _output) : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CapturingLoggerProvider _logs = new();

    public void Dispose() => _dir.Dispose();

    private LiteDbWalOptions Options(long cache = 1024 * 1024) =>
        new() { DataDirectory = _dir.Path, EntryCacheBytesPerPartition = cache, MaxChunkBytes = 4096 };

    private string DataPath => Path.Combine(_dir.Path, "raft-wal.db");

    private string LogPath => Path.Combine(_dir.Path, "raft-wal-log.db");

    private async Task<LiteDbWriteAheadLog> Open(long cache = 1024 * 1024) =>
        await LiteDbWriteAheadLog.OpenAsync(Options(cache), _logs.CreateFactory());

    /// <summary>Writes entries 1..10 and then 11..20 as two commits and closes without a checkpoint, as a crash would; returns the log length between them.</summary>
    private async Task<long> TwoCommitsLeftInTheLog()
    {
        var wal = await Open();
        var store = await wal.OpenPartitionAsync(7);
        await store.SaveAsync(new HardState(1, 1, 5), Entries.Make(1, 10, 1, partition: 7));
        var between = wal.Statistics.LogLength;
        await store.SaveAsync(new HardState(1, 1, 10), Entries.Make(11, 10, 1, partition: 7));
        wal.CheckpointOnDispose = false;
        await wal.DisposeAsync();
        Assert.True(new FileInfo(LogPath).Length > between, "the second commit is in the log file");
        return between;
    }

    private static async Task AssertLog(LiteDbWriteAheadLog wal, ulong last)
    {
        var store = await wal.OpenPartitionAsync(7);
        Assert.Equal(last, store.LastIndex);
        var read = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, store.GetEntries(1, last + 1, RaftConstants.NoLimit, read));
        Assert.Equal(Entries.Make(1, (int)last, 1, partition: 7).Select(e => (e.Index, e.Term, Convert.ToHexString(e.Data.Span))),
            read.Select(e => (e.Index, e.Term, Convert.ToHexString(e.Data.Span))));
    }

    [Fact]
    public async Task A_torn_page_at_the_end_of_the_log_is_cut_back_to_the_last_commit()
    {
        await TwoCommitsLeftInTheLog();
        using (var f = new FileStream(LogPath, FileMode.Open)) f.SetLength(f.Length - 100);
        await using var wal = await Open();
        Assert.True(_logs.Has(LogLevel.Warning, "torn write: 8092 bytes past the last whole page"), "a warning names the damage");
        await AssertLog(wal, 10);
    }

    [Fact]
    public async Task A_missing_page_inside_the_last_transaction_drops_that_transaction()
    {
        var between = await TwoCommitsLeftInTheLog();
        using (var f = new FileStream(LogPath, FileMode.Open))
        {
            f.Position = between;
            f.Write(new byte[8192]);
        }
        await using var wal = await Open();
        Assert.True(_logs.Has(LogLevel.Warning, "never reached the disk but later pages did"), "a warning names the damage");
        await AssertLog(wal, 10);
    }

    [Fact]
    public async Task Pages_of_a_transaction_that_never_committed_are_dropped()
    {
        await TwoCommitsLeftInTheLog();
        var garbage = new byte[2 * 8192];
        new Random(5).NextBytes(garbage);
        garbage[18] = 0;
        garbage[8192 + 18] = 0;
        using (var f = new FileStream(LogPath, FileMode.Append)) f.Write(garbage);
        var length = new FileInfo(LogPath).Length;
        await using var wal = await Open();
        Assert.True(_logs.Has(LogLevel.Information, "never committed"), "the cut is logged");
        Assert.True(new FileInfo(LogPath).Length < length);
        await AssertLog(wal, 20);
    }

    private static byte[] Marker(int i) => Encoding.ASCII.GetBytes($"<<marker {i:D4} " + new string('m', 40) + ">>");

    /// <summary>Writes entries 1..count with distinct marker payloads, checkpointed into the data file.</summary>
    private async Task WriteMarkers(int count, ulong commit)
    {
        await using var wal = await Open();
        var store = await wal.OpenPartitionAsync(7);
        for (var i = 1; i <= count; i += 5)
        {
            var batch = Enumerable.Range(i, Math.Min(5, count - i + 1)).Select(j => new Entry((ulong)j, 1, Marker(j))).ToArray();
            await store.SaveAsync(new HardState(1, 1, Math.Min(commit, (ulong)batch[^1].Index)), batch);
        }
    }

    private void FlipByteOfMarker(int i)
    {
        var data = File.ReadAllBytes(DataPath);
        var at = data.AsSpan().IndexOf(Marker(i));
        Assert.True(at >= 0, $"marker {i} is in the data file");
        data[at + 20] ^= 0x40;
        File.WriteAllBytes(DataPath, data);
    }

    [Fact]
    public async Task A_damaged_record_at_the_tail_is_cut_back_with_a_log_line()
    {
        await WriteMarkers(40, commit: 30);
        FlipByteOfMarker(38);
        await using var wal = await Open();
        var store = await wal.OpenPartitionAsync(7);
        Assert.Equal(37UL, store.LastIndex);
        Assert.True(_logs.Has(LogLevel.Warning, "checksum mismatch at index 38"), "the cut-back is logged with its reason");
        var read = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, store.GetEntries(1, 38, RaftConstants.NoLimit, read));
        Assert.Equal(37, read.Count);
        Assert.Equal(StorageStatus.Unavailable, store.TryGetTerm(38, out _));

        // The repair is durable, and appends continue from the cut.
        await store.SaveAsync(null, new[] { new Entry(38, 2, Marker(99)) });
        await wal.DisposeAsync();
        await using var again = await Open();
        var reopened = await again.OpenPartitionAsync(7);
        Assert.Equal(38UL, reopened.LastIndex);
        Assert.True(reopened.TryGetTerm(38, out var term) == StorageStatus.Ok && term == 2);
    }

    [Fact]
    public async Task Losing_committed_entries_to_damage_is_logged_as_an_error()
    {
        await WriteMarkers(40, commit: 40);
        FlipByteOfMarker(36);
        await using var wal = await Open();
        var store = await wal.OpenPartitionAsync(7);
        Assert.Equal(35UL, store.LastIndex);
        Assert.True(_logs.Has(LogLevel.Error, "committed entries were lost"));
    }

    [Fact]
    public async Task A_damaged_record_inside_the_log_is_refused_when_read()
    {
        await WriteMarkers(40, commit: 40);
        FlipByteOfMarker(6);
        await using var wal = await Open(cache: 0);
        var store = await wal.OpenPartitionAsync(7);
        Assert.Equal(40UL, store.LastIndex);
        var ex = Assert.Throws<WalCorruptionException>(() => store.GetEntries(1, 41, RaftConstants.NoLimit, []));
        Assert.Contains("6", ex.Message);
        Assert.True(_logs.Has(LogLevel.Error, "damaged entries read at index 6"));
        var before = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, store.GetEntries(1, 6, RaftConstants.NoLimit, before));
        Assert.Equal(5, before.Count);
        var after = new List<Entry>();
        Assert.Equal(StorageStatus.Ok, store.GetEntries(11, 41, RaftConstants.NoLimit, after));
        Assert.Equal(30, after.Count);
    }

    [Fact]
    public async Task A_damaged_metadata_document_fails_the_partition_open_clearly()
    {
        await using (var wal = await Open())
        {
            var store = await wal.OpenPartitionAsync(7);
            await store.SaveAsync(new HardState(0x5A5A5A5A5A5A5A5A, 1, 0), Entries.Make(1, 3, 1));
        }
        var data = File.ReadAllBytes(DataPath);
        var at = data.AsSpan().IndexOf(BitConverter.GetBytes(0x5A5A5A5A5A5A5A5AUL));
        Assert.True(at >= 0);
        data[at] ^= 1;
        File.WriteAllBytes(DataPath, data);
        await using var reopened = await Open();
        var ex = await Assert.ThrowsAsync<WalCorruptionException>(async () => await reopened.OpenPartitionAsync(7));
        Assert.Contains("metadata", ex.Message);
        Assert.True(_logs.Has(LogLevel.Error, "metadata document is damaged"));
    }

    [Fact]
    public async Task A_truncated_data_file_fails_the_open_with_an_error_not_a_hang()
    {
        await WriteMarkers(400, commit: 400);
        using (var f = new FileStream(DataPath, FileMode.Open)) f.SetLength(f.Length / 2 + 123);
        var open = Task.Run(async () =>
        {
            await using var wal = await Open();
            var store = await wal.OpenPartitionAsync(7);
            store.GetEntries(1, store.LastIndex + 1, RaftConstants.NoLimit, []);
        });
        var error = await Record.ExceptionAsync(() => open.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.NotNull(error);
        Assert.IsType<WalCorruptionException>(error);
        _output.WriteLine($"{error.GetType().Name}: {error.Message}");
    }
}
